package sidecar

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// The input check of an aborted job (x/compute MsgAbortJob). Its winner says
// the job's inputs are unavailable; PendingVerifications lists the job with
// inputs_check set, and the sidecar tries the inputs as the winner would and
// votes VERDICT_INPUTS_AVAILABLE, VERDICT_INPUTS_UNAVAILABLE or (its
// dataset's server failing) VERDICT_DATASET_UNAVAILABLE. A job whose
// inputs were found unavailable by more than 1/3 of the power (or by no
// quorum) ends with the winner's collateral released; found available by
// 2/3, the abort is a timeout.
//
//   - The model's weights are fetched from their uri and checked against the
//     on-chain sha256 and shape (jobexec's resolver, as for verification),
//     and must run on the dataset, as the job's kind says (its row's
//     CheckInputs in jobexec: for mlp-f32 the dataset's columns are the
//     model's input and every layer's activation over its rows fits
//     workload.MaxDenseElements; for gpt-f32 the weights parse with the
//     on-chain config and the npy-i32 prompts fit its context).
//   - The dataset version's record is read from the chain. A validator holds
//     no licence, so it cannot download the file: it probes the dataset's
//     server (dataserver.Client.Holds: a HEAD of the version's first chunk,
//     signed with its operator key), which never returns rows. A 204 means
//     the server holds the version; so do a 200 or a 403 (no licence) from
//     an aichain-dataserver that predates the probe (it serves a HEAD as a
//     GET without its body, and finds the version's file before it checks
//     the licence); a 404 means it does not, and a 401 (it refuses a
//     validator's valid signature) counts as unavailable; a 503 or 429
//     (busy) says neither, and is asked again after its Retry-After. A server
//     that answers the probe but refuses the winner itself is not caught (see
//     the x/compute README).
//
// Each check is tried FetchRetries times, RetryBackoff apart (longer when
// the dataset's server answers busy and asks for more: busy.go), before the
// inputs are called unavailable. Every attempt asks the model's server
// itself (jobexec.WithFreshFetch): the resolver's memory of failed fetches
// answered every attempt after the first with the first's error, so one
// failed request, at a poll the aborting winner can predict, was a final
// INPUTS_UNAVAILABLE (TestAttackModelBlipVotesInputsGone). That fetch runs
// outside the worker pool, as every model's load (modelload.go): an attempt
// takes the model loaded, a load under way, or a failure that ended after
// the attempt began, and otherwise a new load; it waits on the load only
// during the check's slice. The check is sliced as a check of chunks is:
// the scheduler takes its worker back, and it goes on at its next slice
// from the attempt it was at; in the worker, an attempt fetching a
// trickling uri held it for the fetch policy's Timeout, three times
// (TestAttackAbortedJobsInputCheckHoldsAWorker). A server still busy at the
// last attempt is not called gone at that poll: the check abstains and is
// tried again, and busy counts as unavailable only across a bound (jobState.busyFor). A
// sidecar that cannot check (no model or dataset source) abstains; a uri
// of a scheme no agent fetches is not that, but the uri's failure
// (jobexec.ErrURIScheme: TestAttackUnfetchableURISchemeMakesInputChecksAbstain).

// errDatasetGone marks an input check that failed on the dataset's server:
// the verdict is then VERDICT_DATASET_UNAVAILABLE, which also refunds the
// dataset fee (x/compute abort.go).
var errDatasetGone = errors.New("the dataset version is not served")

// checkInputs returns the outcome of an aborted job's input check: its
// verdict and why, busy when the dataset's server answered busy at the last
// attempt (the verdict is then UNSPECIFIED: the scheduler decides when busy
// is gone), or yielded when the scheduler took the worker back (fetchCtx)
// during an attempt or the wait before one: the check goes on from that
// attempt at its next slice (p.inputs), its busy budget with it.
func (v *Verifier) checkInputs(ctx, fetchCtx context.Context, pv computetypes.PendingVerification, p *chunkProgress) outcome {
	if v.cfg.MLP == nil {
		return abstain("no model or dataset source: abstaining on input checks")
	}
	if pv.DatasetId != 0 && v.cfg.Signer == nil {
		return abstain("no signing key: dataset servers answer signed probes only")
	}
	budget := v.resume(p) // busy waits of this check, all its slices together (busy.go)
	in := &p.inputs
	for ; in.attempt < v.cfg.FetchRetries; in.attempt++ {
		if in.attempt > 0 && !in.waited {
			in.waited = true // not waited again after a yield: the turns between slices took longer
			if err := v.pause(fetchCtx, in.lastErr, budget); err != nil {
				if fetchCtx.Err() != nil {
					return cut(ctx)
				}
				return outcome{verdict: computetypes.Verdict_VERDICT_UNSPECIFIED, reason: "the dataset's server is busy: " + err.Error(), busy: true}
			}
		}
		if in.since.IsZero() {
			in.since = time.Now()
		}
		err := v.inputsOnce(ctx, fetchCtx, pv, in.since)
		if err != nil && fetchCtx.Err() != nil {
			return cut(ctx) // the attempt goes on at the next slice, from since
		}
		in.lastErr, in.since, in.waited = err, time.Time{}, false
		if o, final := inputsVerdict(err, in.attempt == v.cfg.FetchRetries-1); final {
			return o
		}
		v.log.Debug("input check failed", "job", pv.JobId, "attempt", in.attempt+1, "err", err)
	}
	return outcome{verdict: computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE, reason: in.lastErr.Error()}
}

// inputsProgress is where an aborted job's input check stands across its
// slices (chunkProgress.inputs).
type inputsProgress struct {
	attempt int       // the attempts done
	since   time.Time // when the attempt under way began (zero: none)
	waited  bool      // the wait before the next attempt is done
	lastErr error     // the last attempt's
}

// inputsVerdict is the outcome of an input check after an attempt that
// ended with err (last: its last attempt), final when the check ends there.
func inputsVerdict(err error, last bool) (outcome, bool) {
	var busy *dataserver.BusyError
	switch {
	case err == nil:
		return outcome{verdict: computetypes.Verdict_VERDICT_INPUTS_AVAILABLE, reason: "the model and the dataset version are available"}, true
	case errors.Is(err, jobexec.ErrUnsupported):
		// This sidecar cannot run such a check (no source for the kind).
		// A model whose server announces weights over every agent's limit
		// (workload.ErrTooLarge) or redirects off http(s) is not: it is
		// unavailable, to the winner that aborted as to this validator.
		// Abstaining on it let a requester owning the model void every
		// input check of an abort its own winner made
		// (TestAttackModelServerMakesInputChecksAbstain).
		return abstain("cannot check the inputs: " + err.Error()), true
	case last && errors.Is(err, jobexec.ErrChainQuery):
		// This sidecar's node did not answer: nothing is known of the inputs.
		return abstain("cannot read the inputs' records: " + err.Error()), true
	case last && errors.Is(err, errDatasetGone) && errors.As(err, &busy):
		return outcome{verdict: computetypes.Verdict_VERDICT_UNSPECIFIED, reason: "the dataset's server is busy: " + err.Error(), busy: true}, true
	case last && errors.Is(err, errDatasetGone):
		return outcome{verdict: computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE, reason: err.Error()}, true
	}
	return outcome{}, false
}

// inputsOnce checks the job's inputs once, the attempt under way since
// since: nil when they are available. The dataset's record and server are
// asked under fetchCtx; the model is the outcome of a load outside the
// worker pool (modelload.go) that ended after since, waited on during the
// slice only; once loaded, the resolver holds it, and the rest of the
// check reads it there.
func (v *Verifier) inputsOnce(ctx, fetchCtx context.Context, pv computetypes.PendingVerification, since time.Time) error {
	var ds *datamarkettypes.Dataset
	if pv.DatasetId != 0 {
		rec, err := v.cfg.MLP.DatasetRecord(fetchCtx, pv.DatasetId, pv.DatasetVersion)
		if err != nil {
			return fmt.Errorf("dataset %d version %d record: %w", pv.DatasetId, pv.DatasetVersion, err)
		}
		if err := v.probeDataset(fetchCtx, rec.Uri, pv.DatasetId, rec.Version); err != nil {
			return fmt.Errorf("%w: dataset %d version %d: %w", errDatasetGone, pv.DatasetId, rec.Version, err)
		}
		ds = &rec
	}
	if ended, err := v.awaitModel(ctx, fetchCtx, pv, since); !ended || err != nil {
		return err
	}
	err := jobexec.CheckInputs(jobexec.WithFreshFetch(fetchCtx), pv, v.cfg.MLP, ds)
	if err != nil && fetchCtx.Err() != nil {
		v.forgetLoad(ctx, pv) // cut loading it here (no longer held): the next slice waits on a new load
	}
	return err
}

// probeDataset asks the dataset's server, with a request signed by the
// operator key, whether it serves the version (dataserver.Client.Holds).
func (v *Verifier) probeDataset(ctx context.Context, base string, id, version uint64) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("no http(s) server for the dataset (uri %q)", base)
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.FetchTimeout)
	defer cancel()
	c := &dataserver.Client{BaseURL: base, Signer: v.cfg.Signer, HTTP: v.http}
	if err := c.Holds(ctx, id, version); err != nil {
		return fmt.Errorf("its server %s: %w", base, err)
	}
	return nil
}
