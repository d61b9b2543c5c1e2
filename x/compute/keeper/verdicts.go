package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// ApplyVerdicts records one block's verdicts: each entry is a validator
// (consensus address bytes), its voting power, and its verdicts on jobs.
// totalPower is the bonded power of the set that voted (the previous height's
// set). Per job, a validator counts once; verdicts on jobs that are not
// VERIFYING are ignored. Once ≥ 2/3 of totalPower says VALID the job settles;
// once > 1/3 says INVALID or UNAVAILABLE it fails as fraud. Bad entries are
// skipped with a log line; a job whose outcome cannot be applied is logged and
// left for its verification deadline. It returns an error only for store failures.
func (k Keeper) ApplyVerdicts(ctx context.Context, totalPower int64, votes []types.ValidatorVerdicts) error {
	logger := k.Logger(ctx)
	if totalPower <= 0 {
		if len(votes) > 0 {
			logger.Error("verdicts ignored: total power is not positive", "total_power", totalPower)
		}
		return nil
	}
	decided := map[uint64]bool{}
	for _, v := range votes {
		if len(v.ConsAddress) == 0 || v.Power <= 0 || v.Power > totalPower {
			logger.Error("verdicts skipped: bad validator entry", "validator", fmt.Sprintf("%X", v.ConsAddress), "power", v.Power)
			continue
		}
		for _, jv := range v.Verdicts {
			if decided[jv.JobId] {
				continue
			}
			done, err := k.applyVerdict(ctx, totalPower, v, jv)
			if err != nil {
				return err
			}
			if done {
				decided[jv.JobId] = true
			}
		}
	}
	return nil
}

// applyVerdict adds one verdict and, if a threshold is crossed, finalizes the
// job in a cache context (written only on success). done reports a finalized job.
func (k Keeper) applyVerdict(ctx context.Context, totalPower int64, v types.ValidatorVerdicts, jv types.JobVerdict) (done bool, err error) {
	logger := k.Logger(ctx)
	switch jv.Verdict {
	case types.Verdict_VERDICT_VALID, types.Verdict_VERDICT_INVALID, types.Verdict_VERDICT_UNAVAILABLE:
	default:
		logger.Error("verdict skipped: unknown verdict", "job_id", jv.JobId, "verdict", int32(jv.Verdict))
		return false, nil
	}
	job, err := k.Jobs.Get(ctx, jv.JobId)
	if err != nil {
		if isNotFound(err) {
			logger.Debug("verdict skipped: unknown job", "job_id", jv.JobId)
			return false, nil
		}
		return false, err
	}
	if job.State != types.JobState_JOB_STATE_VERIFYING {
		return false, nil
	}
	key := collections.Join(jv.JobId, v.ConsAddress)
	if voted, err := k.Voters.Has(ctx, key); err != nil {
		return false, err
	} else if voted {
		return false, nil
	}
	tally, err := k.Tallies.Get(ctx, jv.JobId)
	if err != nil && !isNotFound(err) {
		return false, err
	}
	switch jv.Verdict {
	case types.Verdict_VERDICT_VALID:
		tally.ValidPower += v.Power
	case types.Verdict_VERDICT_INVALID:
		tally.InvalidPower += v.Power
	case types.Verdict_VERDICT_UNAVAILABLE:
		tally.UnavailablePower += v.Power
	}
	if err := k.Voters.Set(ctx, key); err != nil {
		return false, err
	}
	if err := k.Tallies.Set(ctx, jv.JobId, tally); err != nil {
		return false, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventVerdictRecorded{
		JobId: jv.JobId, Validator: sdk.ConsAddress(v.ConsAddress).String(), Power: v.Power, Verdict: jv.Verdict.String(),
	}); err != nil {
		return false, err
	}

	var finalize func(context.Context) error
	switch {
	case 3*tally.ValidPower >= 2*totalPower:
		finalize = func(c context.Context) error { return k.settle(c, job, false) }
	case 3*(tally.InvalidPower+tally.UnavailablePower) > totalPower:
		finalize = func(c context.Context) error { return k.failFraud(c, job) }
	default:
		return false, nil
	}
	// All or nothing; a failure leaves the job VERIFYING for a later verdict
	// or its verification deadline (the tally above is kept).
	if err := modkit.RunCached(ctx, finalize); err != nil {
		logger.Error("verification outcome not applied; the job stays VERIFYING", "job_id", job.Id, "err", err)
		return false, nil
	}
	return true, nil
}

// clearTally deletes a job's tally and voter records (bounded by the validator count).
func (k Keeper) clearTally(ctx context.Context, jobID uint64) error {
	if err := k.Tallies.Remove(ctx, jobID); err != nil {
		return err
	}
	return k.Voters.Clear(ctx, collections.NewPrefixedPairRange[uint64, []byte](jobID))
}
