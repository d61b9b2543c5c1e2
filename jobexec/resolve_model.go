package jobexec

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// weightsParser checks a model's record (before any fetch), parses its
// weights file against it, and checks the parsed model against the record
// of the id it is used under.
type weightsParser[M any] struct {
	// arch names the architecture in the memory cache's key.
	arch string
	// check refuses a record before any fetch (nil: none).
	check func(rec *modelregistrytypes.Model) error
	// key completes the cache key with what parse reads of the record
	// besides the sha256 (nil: nothing).
	key   func(rec *modelregistrytypes.Model, k *modelKey)
	parse func(f workload.Checked, rec *modelregistrytypes.Model) (M, error)
	// fits checks the parsed model against the record of the id it is used
	// under, cached or not (nil: nothing to check).
	fits func(m M, rec *modelregistrytypes.Model) error
}

// loadModel returns model modelID's checked weights of one architecture
// (mlp, gpt): from the memory cache, keyed by the on-chain sha256 (and what
// else parsing reads of the record), otherwise read from the disk cache or
// the model's uri, parsed and checked by p, and cached (in memory within
// the resolver's budget, by sha256 on disk). Ids that register the same
// file share one parsed copy and one load
// (TestAttackOneFileUnderManyModelIdsIsHeldOnce).
//
// Only what is the same for every caller is shared: the disk cache, the
// uri and the parse. When they fail, each caller asks its own mirror (its
// job's provider) under its own context (fallbackModel): a load started by
// another job's check, whose provider refuses the weights or whose check
// is cancelled, is never this caller's verdict
// (TestAttackSharedLoadUsesAnotherCallersMirror).
func loadModel[M any](ctx context.Context, r *ChainResolver, modelID uint64, p weightsParser[M]) (M, error) {
	var zero M
	if r.cfg.Models == nil {
		return zero, fmt.Errorf("%w: no model registry client", ErrUnsupported)
	}
	res, err := r.cfg.Models.Model(ctx, &modelregistrytypes.QueryModelRequest{Id: modelID})
	if err != nil {
		return zero, fmt.Errorf("query model %d: %w", modelID, queryErr(err))
	}
	rec := &res.Model
	if p.check != nil {
		if err := p.check(rec); err != nil {
			return zero, err
		}
	}
	sha := strings.ToLower(rec.Sha256)
	k := modelKey{arch: p.arch, sha: sha}
	if p.key != nil {
		p.key(rec, &k)
	}
	v, err := r.models.Load(ctx, k, func() (any, int64, error) {
		f, err := r.weights(ctx, modelID, sha, rec.Uri)
		if err != nil {
			return nil, 0, err
		}
		return parseWeights(r, modelID, rec, p, f, strconv.Quote(rec.Uri))
	})
	var ue *uriError
	if errors.As(err, &ue) && ctx.Err() == nil {
		v, err = fallbackModel(ctx, r, modelID, rec, k, p, ue)
	}
	if err != nil {
		return zero, err
	}
	// A use from memory is a use of the file. A model not on disk (the
	// cache was full of kept files when it was loaded) is not kept in memory
	// either, so that a later use fetches it and writes it once there is
	// room (TestAttackFullCacheRefusesAModelForEver).
	if r.disk != nil && !r.disk.touchIfPresent(weightsRel(sha)) {
		r.models.Remove(k)
	}
	m, ok := v.(M)
	if !ok {
		return zero, fmt.Errorf("model %d: cached weights are %T", modelID, v)
	}
	if p.fits != nil {
		if err := p.fits(m, rec); err != nil {
			return zero, fmt.Errorf("model %d: %w", modelID, err)
		}
	}
	return m, nil
}

// parseWeights parses a weights file checked against rec's sha256 (by
// weights, from the uri or the disk cache, or by askMirror, which refuses a
// mirror's file checked against another digest; from:
// where it came from, for errors) and writes it to the disk cache. Not on
// disk (a full cache), the weights are used from memory, and
// OpenCachedWeights has none to serve.
func parseWeights[M any](r *ChainResolver, modelID uint64, rec *modelregistrytypes.Model, p weightsParser[M], f workload.Checked, from string) (any, int64, error) {
	m, err := p.parse(f, rec)
	if err != nil {
		return nil, 0, fmt.Errorf("model %d weights from %s: %w", modelID, from, err)
	}
	_ = r.store("models", weightsName(f.SHA256()), f.Bytes())
	return m, int64(len(f.Bytes())), nil
}

// fallbackModel loads the weights that the shared load did not find at the
// uri failed names, under the caller's own context: from memory if another
// caller's mirror served them meanwhile, from this id's own uri if it names
// another one, from the uri the caller's job keeps for its model
// (WithModelURI) if it names another one, otherwise from the WeightsMirror
// in ctx (the caller's job's provider), checked against the sha256. Without
// a mirror the last uri's failure is returned; with one that fails too, an
// error wrapping ErrWeightsUnavailable.
func fallbackModel[M any](ctx context.Context, r *ChainResolver, modelID uint64, rec *modelregistrytypes.Model,
	k modelKey, p weightsParser[M], failed *uriError) (any, error) {
	if v, ok := r.models.Get(k); ok {
		return v, nil
	}
	var f workload.Checked
	var err error = failed
	var from string
	for _, uri := range fallbackURIs(ctx, rec.Uri, failed.uri) {
		var uerr error
		if f, uerr = r.weights(ctx, modelID, k.sha, uri); uerr == nil {
			err, from = nil, strconv.Quote(uri)
			break
		}
		// The last uri's error, with what the earlier ones said as text:
		// the job's own uri, tried last, decides how the failure counts.
		err = fmt.Errorf("%w; before it: %v", uerr, err)
	}
	if err != nil {
		if f, err = askMirror(ctx, k.sha, err); err != nil {
			return nil, err
		}
		from = "the mirror"
	}
	m, size, err := parseWeights(r, modelID, rec, p, f, from)
	if err != nil {
		return nil, err
	}
	r.models.Put(k, m, size)
	return m, nil
}

// fallbackURIs are the uris fallbackModel tries after the shared load's
// failed at failedURI: the model's uri (when another model id's uri failed)
// and the uri the caller's job keeps for its model (WithModelURI), each
// once.
func fallbackURIs(ctx context.Context, modelURI, failedURI string) []string {
	var uris []string
	if modelURI != failedURI {
		uris = append(uris, modelURI)
	}
	if jobURI, _ := ctx.Value(modelURIKey{}).(string); jobURI != "" && jobURI != failedURI && jobURI != modelURI {
		uris = append(uris, jobURI)
	}
	return uris
}

type modelURIKey struct{}

// WithModelURI returns ctx carrying the uri a job keeps for its model
// (x/compute Job.model_uri, PendingVerification.model_uri: the model's uri
// when the job locked its owner's availability bond). The resolver fetches
// the weights from it when the model's current uri fails, before it asks a
// mirror: a new owner who points the model at nothing cannot make a job
// that locked the seller's bond find its inputs unavailable
// (TestAttackBuyerRepointsBoughtModelToVoteInputsGone). Empty: none.
func WithModelURI(ctx context.Context, uri string) context.Context {
	if uri == "" {
		return ctx
	}
	return context.WithValue(ctx, modelURIKey{}, uri)
}

// askMirror asks ctx's WeightsMirror for the weights file of sha256 sha
// that the uri did not serve (uriErr): the mirror checked it, against sha
// or not (a file checked against another digest is not these weights).
// Without a mirror it returns uriErr.
func askMirror(ctx context.Context, sha string, uriErr error) (workload.Checked, error) {
	mirror, ok := ctx.Value(mirrorKey{}).(WeightsMirror)
	if !ok {
		return workload.Checked{}, uriErr
	}
	f, err := mirror(ctx, sha)
	if err == nil && !f.Is(sha) {
		err = fmt.Errorf("%w: the mirror sent a file checked against %q, not %q", workload.ErrDigestMismatch, f.SHA256(), sha)
	}
	if err != nil {
		// The uri's error as text only: once the mirror is asked, what it
		// failed with is what counts. A uri announcing weights over the
		// verifier's limit (ErrTooLarge: abstain) must not turn the
		// mirror's refusal into an abstention
		// (TestAttackHugeContentLengthTurnsUnavailableIntoAbstention).
		return workload.Checked{}, fmt.Errorf("%w: %v; from the mirror: %w", ErrWeightsUnavailable, uriErr, err)
	}
	return f, nil
}

// ErrWeightsMismatch is a weights file whose shape is not its on-chain
// record's.
var ErrWeightsMismatch = errors.New("the weights do not match the model's record")

// weightsName and weightsRel are a weights file's name in the disk cache
// and its path under the cache folder.
func weightsName(sha string) string { return sha + ".safetensors" }

func weightsRel(sha string) string { return filepath.Join("models", weightsName(sha)) }

// PinModel keeps model modelID's weights file in the disk cache, where
// OpenCachedWeights serves it from, if the cache holds it, and returns its
// sha256: a provider calls it as it decides to bid, so that no later
// sizing evicts the weights it may serve the validators
// (TestAttackFloodInTheBidRoundEvictsABidJobsWeights), and does not bid
// when the cache did not take them (ErrCacheFull): the files of the jobs
// it holds fill it, or the weights it keeps would take more than half of
// it (diskCache.keepIfPresent). Without a disk cache: "" and nil.
func (r *ChainResolver) PinModel(ctx context.Context, modelID uint64) (string, error) {
	if r.disk == nil {
		return "", nil
	}
	if r.cfg.Models == nil {
		return "", fmt.Errorf("%w: no model registry client", ErrUnsupported)
	}
	res, err := r.cfg.Models.Model(ctx, &modelregistrytypes.QueryModelRequest{Id: modelID})
	if err != nil {
		return "", fmt.Errorf("query model %d: %w", modelID, queryErr(err))
	}
	sha := strings.ToLower(res.Model.Sha256)
	if !r.disk.keepIfPresent(weightsRel(sha)) {
		return "", fmt.Errorf("model %d weights: %w", modelID, ErrCacheFull)
	}
	return sha, nil
}

// fitsWidths checks an mlp model's layers against the widths the chain
// records (none recorded: nothing to check). The chain bounds a job's work
// by them (x/compute mlpWork), so weights wider than registered would be
// work no sidecar was budgeted to recompute: such a model is refused as
// weights that do not match their record.
func fitsWidths(m *workload.Model, widths []uint64) error {
	if len(widths) == 0 {
		return nil
	}
	got := make([]uint64, 0, len(m.Layers)+1)
	got = append(got, uint64(m.InputDim()))
	for _, l := range m.Layers {
		got = append(got, uint64(l.Out))
	}
	if !slices.Equal(got, widths) {
		return fmt.Errorf("%w: weights have layer widths %v, the chain records %v", ErrWeightsMismatch, got, widths)
	}
	return nil
}
