package sidecar

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// Model loads are keyed by the weights file, not the model id. A load was
// one per model id, and a model's owner may register one file under many
// ids (x/modelregistry lets a name's owner publish the same weights again
// as a new version): jobs on two ids of one file ran two loads of it, one
// per load slot, each keeping its own partial copy when paused, so the
// ids multiplied the slots and the bytes one file took
// (TestAttackModelIDsOfOneFileTakeEveryLoadSlot). A load is now one per
// file and the uris it asks: the workload kind, the file's sha256 as the
// model's record names it, lower-cased (an upper-cased sha256 is the same
// file), the record's uri and the uri the job keeps. Jobs on any id of the
// file with the same uris share its load, which runs with the record of
// the id its first check asked for: the resolver keeps the parsed weights
// by sha256, and each job's check then takes them under its own id's
// record (jobexec: weightsParser.fits). Loads of one file under other
// uris run one at a time (modelload.go), and one partial copy of a file is
// kept between them (loadbytes.go). They are not merged into one: a load
// under a uri that fails (an old version's, taken down) would fail the
// checks of an id whose own uri serves the file, and those checks would
// then fetch it in their workers, a slice at a time, never to the end.
//
// The record is read from the node (Config.Models) at each check's ask:
// its uri may change. Without a registry, or when the node answers that
// the record does not exist or names no sha256, the load is keyed by the
// model id as before (the load itself then fails on the same record).
// When the node does not answer, no load is started: keyed by the model
// id, a check asking during a node's hiccup and one asking after it ran
// two loads of one file at once, each holding a slot
// (TestAttackNodeHiccupLoadsAFileTwice). The check asks the node again
// each PollInterval while it waits on its model (modelload.go).

// ModelRecords reads models' on-chain records (x/modelregistry's query
// client is one).
type ModelRecords interface {
	Model(ctx context.Context, in *modelregistrytypes.QueryModelRequest, opts ...grpc.CallOption) (*modelregistrytypes.QueryModelResponse, error)
}

// loadKey names a model's load: what jobexec.CheckInputs loads of a job
// without its dataset, the weights file as its kind parses it (sha, or id
// when the model's record could not be read), the uri its record names
// and the uri the job keeps for it (asked when the model's uri fails).
type loadKey struct {
	kind   string
	sha    string // lower-cased
	id     uint64 // 0 when sha is set
	uri    string // the record's
	jobURI string
}

// file is the file k loads, whatever uris it asks.
func (k loadKey) file() loadKey {
	k.uri, k.jobURI = "", ""
	return k
}

var (
	errNoRegistry = errors.New("no model registry")
	errNoSha      = errors.New("the model's record names no sha256")
)

// loadKeyOf is the key of pv's model's load. It fails when ctx ends first
// (the check's slice), and, marked jobexec.ErrChainQuery, when the node
// does not answer the model's record query.
func (v *Verifier) loadKeyOf(ctx context.Context, pv computetypes.PendingVerification) (loadKey, error) {
	k := loadKey{kind: pv.Workload.Kind, jobURI: pv.ModelUri}
	rec, err := v.modelRecord(ctx, pv.ModelId)
	switch {
	case err == nil:
		k.sha, k.uri = strings.ToLower(rec.Sha256), rec.Uri
		return k, nil
	case ctx.Err() != nil:
		return k, ctx.Err()
	case errors.Is(err, errNoRegistry) || errors.Is(err, errNoSha) || recordAbsent(err):
		v.log.Debug("model load keyed by the model id: no sha256 read", "model", pv.ModelId, "err", err)
		k.id = pv.ModelId
		return k, nil
	}
	return k, fmt.Errorf("%w: model %d: %w", jobexec.ErrChainQuery, pv.ModelId, err)
}

// recordAbsent reports a record query the node answered: the record does
// not exist (as jobexec tells ErrChainQuery from it).
func recordAbsent(err error) bool {
	c := status.Code(err)
	return c == codes.NotFound || c == codes.InvalidArgument
}

// modelRecord reads model id's record, within PollTimeout.
func (v *Verifier) modelRecord(ctx context.Context, id uint64) (modelregistrytypes.Model, error) {
	if v.cfg.Models == nil {
		return modelregistrytypes.Model{}, errNoRegistry
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.PollTimeout)
	defer cancel()
	res, err := v.cfg.Models.Model(ctx, &modelregistrytypes.QueryModelRequest{Id: id})
	if err != nil {
		return modelregistrytypes.Model{}, err
	}
	if res.Model.Sha256 == "" {
		return modelregistrytypes.Model{}, errNoSha
	}
	return res.Model, nil
}
