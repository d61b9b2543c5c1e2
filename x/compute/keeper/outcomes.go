package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// The outcomes of a verification that are neither VALID nor INVALID (issue
// 15): an outage is not fraud, and no quorum never pays.

// withhold ends a VERIFYING job whose sampled (or disputed) chunks more than
// 1/3 of the power could not fetch across unavailable_span_blocks: the
// winner forfeits the job's whole collateral (forfeitCollateral: the
// requester's compensation capped at its creation fee and any dataset fee
// owed, the rest to the
// reward pool, counted as a timeout in its record), not the fraud slash of
// its bond, and is not jailed for it unless its timeouts in a row reach
// timeout_jail_threshold; the requester gets its escrow and any dispute
// deposit back. FAILED / WITHHELD.
func (k Keeper) withhold(ctx context.Context, job types.Job) error {
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	if err := k.forfeitCollateral(ctx, job, params, common.BasisPoints, types.CloseReason_CLOSE_REASON_WITHHELD); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_WITHHELD)
}

// endInconclusive handles a VERIFYING job whose window ended without a
// quorum. The first time, the window is extended by verification_blocks
// (a slow or clogged verification gets a second chance). The second time,
// the job closes EXPIRED / VERIFICATION_INCONCLUSIVE: the requester gets its
// escrow and any dispute deposit back, and the winner is paid nothing, so
// clogging verification never pays. A dataset fee owed still goes to the
// owner, whose rows the winner read; the winner, which serves the chunks
// and so made the split, forfeits as much of its collateral to the
// requester (forfeitOwnerFees), so that the requester is out only its
// creation fee and an owner running the winner nets nothing
// (TestAttackProviderDatasetOwnerClogsVerificationForTheFee). The rest of
// the collateral is released.
func (k Keeper) endInconclusive(ctx context.Context, job types.Job) error {
	if !job.VerificationExtended {
		return k.extendVerification(ctx, job)
	}
	if err := k.emitInconclusive(ctx, job.Id); err != nil {
		return err
	}
	if err := k.forfeitOwnerFees(ctx, job, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE)
}

// extendVerification gives a VERIFYING job one more verification window;
// its tally and voters are kept.
func (k Keeper) extendVerification(ctx context.Context, job types.Job) error {
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	job.VerificationExtended = true
	if job, err = k.moveVerificationEnd(ctx, job, sdkCtx.BlockHeight()+int64(params.VerificationBlocks)); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventVerificationExtended{JobId: job.Id, VerificationEnd: job.VerificationEnd})
}

// moveVerificationEnd gives a job under check the verification_end end: its
// queue entry moved with it, the job saved (with any other change the caller
// made to it). It returns the job as saved.
func (k Keeper) moveVerificationEnd(ctx context.Context, job types.Job, end int64) (types.Job, error) {
	if err := k.VerificationEndQueue.Remove(ctx, pair(job.VerificationEnd, job.Id)); err != nil {
		return job, err
	}
	job.VerificationEnd = end
	if err := k.saveJob(ctx, job.State, job); err != nil {
		return job, err
	}
	return job, k.VerificationEndQueue.Set(ctx, pair(job.VerificationEnd, job.Id))
}

// releaseCollateral ends a job's obligation on its winner and unlocks the
// job's collateral (a price collateral back to its account), with nothing
// paid and nothing counted in its record. A winner no longer on record is
// skipped (as in creditWinner).
func (k Keeper) releaseCollateral(ctx context.Context, job types.Job) error {
	return k.endObligation(ctx, job, nil)
}

// endObligation ends a job's obligation on its winner: its price collateral
// back to its account, its bond lock released, and record (when not nil)
// applied to its provider record before it is saved. A winner no longer on
// record is skipped.
func (k Keeper) endObligation(ctx context.Context, job types.Job, record func(*types.Provider)) error {
	if err := k.returnPriceCollateral(ctx, job.Id, job.Winner, job.WinnerPriceCollateral); err != nil {
		return err
	}
	p, err := k.Providers.Get(ctx, job.Winner)
	if err != nil {
		return ignoreNotFound(err)
	}
	old := p
	releaseWinner(&p, job)
	if record != nil {
		record(&p)
	}
	return k.saveProvider(ctx, &old, p)
}
