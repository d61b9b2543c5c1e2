package sidecar

import (
	"context"
	"errors"
	"fmt"
	"net/url"

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
// INPUTS_UNAVAILABLE (TestAttackModelBlipVotesInputsGone). A server still busy at the last attempt is
// not called gone at that poll: the check abstains and is tried again, and
// busy counts as unavailable only across a bound (jobState.busyFor). A
// sidecar that cannot check (no model or dataset source) abstains; a uri
// of a scheme no agent fetches is not that, but the uri's failure
// (jobexec.ErrURIScheme: TestAttackUnfetchableURISchemeMakesInputChecksAbstain).

// errDatasetGone marks an input check that failed on the dataset's server:
// the verdict is then VERDICT_DATASET_UNAVAILABLE, which also refunds the
// dataset fee (x/compute abort.go).
var errDatasetGone = errors.New("the dataset version is not served")

// checkInputs returns the verdict on an aborted job's inputs, why, and
// whether the dataset's server answered busy at the last attempt (the
// verdict is then UNSPECIFIED: the scheduler decides when busy is gone).
func (v *Verifier) checkInputs(ctx context.Context, pv computetypes.PendingVerification) (computetypes.Verdict, string, bool) {
	if v.cfg.MLP == nil {
		return computetypes.Verdict_VERDICT_UNSPECIFIED, "no model or dataset source: abstaining on input checks", false
	}
	if pv.DatasetId != 0 && v.cfg.Signer == nil {
		return computetypes.Verdict_VERDICT_UNSPECIFIED, "no signing key: dataset servers answer signed probes only", false
	}
	ctx = jobexec.WithFreshFetch(ctx) // no remembered failure, this job's or another's, decides the check
	var lastErr error
	budget := v.newBusyBudget() // busy waits of this check, all together (busy.go)
	for attempt := 0; attempt < v.cfg.FetchRetries; attempt++ {
		if attempt > 0 {
			if err := v.pause(ctx, lastErr, budget); err != nil {
				if ctx.Err() != nil {
					return computetypes.Verdict_VERDICT_UNSPECIFIED, ctx.Err().Error(), false
				}
				return computetypes.Verdict_VERDICT_UNSPECIFIED, "the dataset's server is busy: " + err.Error(), true
			}
		}
		lastErr = v.inputsOnce(ctx, pv)
		last := attempt == v.cfg.FetchRetries-1
		var busy *dataserver.BusyError
		switch {
		case lastErr == nil:
			return computetypes.Verdict_VERDICT_INPUTS_AVAILABLE, "the model and the dataset version are available", false
		case errors.Is(lastErr, jobexec.ErrUnsupported):
			// This sidecar cannot run such a check (no source for the kind).
			// A model whose server announces weights over every agent's limit
			// (workload.ErrTooLarge) or redirects off http(s) is not: it is
			// unavailable, to the winner that aborted as to this validator.
			// Abstaining on it let a requester owning the model void every
			// input check of an abort its own winner made
			// (TestAttackModelServerMakesInputChecksAbstain).
			return computetypes.Verdict_VERDICT_UNSPECIFIED, "cannot check the inputs: " + lastErr.Error(), false
		case last && errors.Is(lastErr, jobexec.ErrChainQuery):
			// This sidecar's node did not answer: nothing is known of the inputs.
			return computetypes.Verdict_VERDICT_UNSPECIFIED, "cannot read the inputs' records: " + lastErr.Error(), false
		case last && errors.Is(lastErr, errDatasetGone) && errors.As(lastErr, &busy):
			return computetypes.Verdict_VERDICT_UNSPECIFIED, "the dataset's server is busy: " + lastErr.Error(), true
		case last && errors.Is(lastErr, errDatasetGone):
			return computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE, lastErr.Error(), false
		}
		v.log.Debug("input check failed", "job", pv.JobId, "attempt", attempt+1, "err", lastErr)
	}
	return computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE, lastErr.Error(), false
}

// inputsOnce checks the job's inputs once: nil when they are available.
func (v *Verifier) inputsOnce(ctx context.Context, pv computetypes.PendingVerification) error {
	var ds *datamarkettypes.Dataset
	if pv.DatasetId != 0 {
		rec, err := v.cfg.MLP.DatasetRecord(ctx, pv.DatasetId, pv.DatasetVersion)
		if err != nil {
			return fmt.Errorf("dataset %d version %d record: %w", pv.DatasetId, pv.DatasetVersion, err)
		}
		if err := v.probeDataset(ctx, rec.Uri, pv.DatasetId, rec.Version); err != nil {
			return fmt.Errorf("%w: dataset %d version %d: %w", errDatasetGone, pv.DatasetId, rec.Version, err)
		}
		ds = &rec
	}
	return jobexec.CheckInputs(ctx, pv, v.cfg.MLP, ds)
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
