package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// Aborting a job (MsgAbortJob). A winner whose job's inputs (the model's
// weights, the dataset) vanish after award has a way out other than the
// timeout penalty, and a winner that merely gives up does not get one:
//   - a job without inputs (gemm: everything follows from the spec) cannot
//     lack them, so its abort is a timeout at once;
//   - otherwise the job goes ABORTING for verification_blocks, during which
//     the validators' sidecars try to fetch and check the inputs and vote
//     VERDICT_INPUTS_AVAILABLE or VERDICT_INPUTS_UNAVAILABLE through the
//     vote-extension path (PendingVerifications lists the job with
//     inputs_check set);
//   - more than 1/3 of the power finds them unavailable: the abort stands
//     (EXPIRED/ABORTED): the winner's collateral is released with no payment
//     and no penalty, the requester refunded its escrow (the creation fee
//     stays paid) but for the dataset fee, which the winner's access made
//     the owner's — unless more than 1/3 found the dataset itself
//     unavailable (VERDICT_DATASET_UNAVAILABLE), when it is refunded too: a
//     requester cannot read a dataset through its own provider and get the
//     fee back by making its model vanish, and an owner that serves nothing
//     is paid nothing; when neither input alone was found unavailable by
//     more than 1/3, the winner pays the fee back as on no quorum (below;
//     abortStands);
//   - at least 2/3 finds them available: the abort was false, and is a
//     timeout (EXPIRED/EXECUTION_TIMEOUT with the timeout penalty);
//   - no quorum by the end: the abort stands (nobody could show the inputs
//     were there or not), and ends as an inconclusive verification does: the
//     winner is paid nothing, the requester refunded its escrow, and the
//     dataset fee stays the owner's (the winner was granted the rows), the
//     winner forfeiting as much of its collateral to the requester
//     (forfeitOwnerFees). The check also fetches the model, whose server
//     can make every sidecar abstain, and either input's server can answer
//     selectively, so the chain cannot tell whose doing a split is; the
//     winner, which aborted, pays for it: an owner running the winner nets
//     nothing (TestAttackProviderDatasetOwnerAbortsWithoutQuorumForTheFee),
//     a requester running it (with its own model) pays the fee for the rows
//     it read (TestAttackRequesterModelOwnerVoidsAbortCheckToReadDatasetFree),
//     and an honest requester is out only its creation fee.
// The thresholds are those of verification: a coalition below 1/3 of the
// power can neither make available inputs look missing (it needs more than
// 1/3) nor missing inputs look available (it needs 2/3).

// AbortJob records the winner's abort of its ASSIGNED job before its
// execution deadline.
func (k Keeper) AbortJob(ctx context.Context, provider sdk.AccAddress, jobID uint64, reason types.AbortReason) error {
	job, addr, err := k.assignedToWinner(ctx, jobID, provider)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	if h > job.ExecDeadline {
		return types.ErrDeadlinePassed.Wrapf("job %d: execution deadline was height %d", job.Id, job.ExecDeadline)
	}
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	if err := k.ExecDeadlineQueue.Remove(ctx, pair(job.ExecDeadline, job.Id)); err != nil {
		return err
	}
	if job.ModelId == 0 && job.DatasetId == 0 {
		if err := modkit.EmitTypedEvent(sdkCtx, &types.EventJobAborted{JobId: job.Id, Provider: addr, Reason: reason}); err != nil {
			return err
		}
		return k.timeOut(ctx, job)
	}
	if err := k.chargeVerdicts(ctx, job.VerdictGas(false), common.BasisPoints, types.MaxWinnerCheckGas, "compute: the abort's verdicts"); err != nil {
		return err
	}
	from := job.State
	job.State, job.AbortReason = types.JobState_JOB_STATE_ABORTING, reason
	job.VerificationEnd = h + int64(params.VerificationBlocks)
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	if err := k.Tallies.Set(ctx, job.Id, types.VerificationTally{}); err != nil {
		return err
	}
	if err := k.VerificationEndQueue.Set(ctx, pair(job.VerificationEnd, job.Id)); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventJobAborted{
		JobId: job.Id, Provider: addr, Reason: reason, CheckEnd: job.VerificationEnd,
	})
}

// abortOutcome is what an ABORTING job's tally decides, if anything yet.
// The abort stands once more than 1/3 found the inputs unavailable (either
// kind), and the dataset fee is refunded only when more than 1/3 found the
// dataset itself gone; so the abort is closed at once only when that second
// question is settled too: the dataset is found gone, or the power not yet
// heard could no longer make it so. Otherwise the abort's standing is
// recorded (awaitAbortGrace) and the fee decided by the verdicts of the
// next verdict_grace_blocks. Closing at the first crossing let validators
// below 1/3 decide the fee for free: 9 of 30 voting INPUTS_UNAVAILABLE (a
// lie) beside the first honest DATASET_UNAVAILABLE closed the abort with the
// fee paid to an owner that served nothing, before the other honest
// validators' verdicts came (TestAttackValidatorsLockAbortBeforeDatasetQuorum).
func abortOutcome(job types.Job, t types.VerificationTally, totalPower int64, powers map[string]int64) func(context.Context, Keeper) error {
	if standsInGrace(job, t) {
		totalPower = t.QuorumTotalPower // the tally's powers are the quorum's commit's (retally)
	}
	unavailable := t.InputsUnavailablePower + t.DatasetUnavailablePower
	unheard := max(totalPower-unavailable-t.InputsAvailablePower, 0)
	switch {
	case 3*t.DatasetUnavailablePower > totalPower:
		return func(ctx context.Context, k Keeper) error { return k.abortStands(ctx, job, t, totalPower) }
	case 3*unavailable > totalPower && 3*(t.DatasetUnavailablePower+unheard) <= totalPower:
		return func(ctx context.Context, k Keeper) error { return k.abortStands(ctx, job, t, totalPower) }
	case 3*unavailable > totalPower && t.QuorumTotalPower == 0:
		return func(ctx context.Context, k Keeper) error { return k.awaitAbortGrace(ctx, job, t, totalPower, powers) }
	case 3*t.InputsAvailablePower >= 2*totalPower && t.QuorumTotalPower == 0:
		return func(ctx context.Context, k Keeper) error { return k.abortIsTimeout(ctx, job, t) }
	}
	return nil
}

// awaitAbortGrace records that an abort stands (more than 1/3 found the
// inputs unavailable; the set's power then, quorum_total_power, with
// quorum_outcome INPUTS_UNAVAILABLE) while whether the dataset is gone is
// still open, and brings its end forward to verdict_grace_blocks from now
// (never later than it was). Verdicts until then may still find the dataset
// gone (abortOutcome); at the end, endAbort closes it as standing, the fee
// refunded if more than 1/3 of the recorded power found the dataset gone.
// With verdict_grace_blocks 0 the abort is closed now.
func (k Keeper) awaitAbortGrace(ctx context.Context, job types.Job, t types.VerificationTally, totalPower int64, powers map[string]int64) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if params.VerdictGraceBlocks == 0 {
		return k.abortStands(ctx, job, t, totalPower)
	}
	t.QuorumTotalPower, t.QuorumOutcome = totalPower, types.Verdict_VERDICT_INPUTS_UNAVAILABLE
	t.QuorumPowers = validatorPowers(powers, func(string) bool { return true })
	return k.startGrace(ctx, job, t, params.VerdictGraceBlocks)
}

// standsInGrace tells whether job is an abort standing in its grace with
// the quorum's powers recorded (quorum_powers): its tally then counts each
// verdict at its power in the quorum's commit, and is decided against that
// commit's total, so stake bonded or moved in the grace changes neither
// side (TestAttackStakeAddedDuringAbortGraceRefundsDatasetFee: bonded to a
// coalition voter; TestAttackRedelegateFromDatasetGoneVoterInAbortGrace:
// redelegated away from an honest one).
func standsInGrace(job types.Job, t types.VerificationTally) bool {
	return job.State == types.JobState_JOB_STATE_ABORTING && t.QuorumTotalPower > 0 && len(t.QuorumPowers) > 0
}

// abortStands ends an abort whose inputs more than 1/3 of total (the
// power its tally is decided against) found unavailable: the requester gets
// its escrow back, and the job is EXPIRED/ABORTED. Who pays the dataset fee
// depends on which input was found unavailable by more than 1/3:
//   - the dataset: the fee is refunded (the owner served nothing), and the
//     winner's collateral released with no payment and no penalty;
//   - the model (and not the dataset): the dataset was served and is paid
//     for, and the job's lock of its model owner's bond makes the requester
//     whole (forfeitModelBond: the dataset fee it paid), the winner's
//     collateral released;
//   - neither alone (the abort stood only on the two kinds together): the
//     check says nothing of either input, and the abort is paid for as one
//     without a quorum: the fee stays the dataset owner's and the winner,
//     which aborted, forfeits as much of its collateral to the requester
//     (forfeitOwnerFees). Forfeiting the model's bond there let a dataset
//     owner whose server refused honest validators of 1/3 of the power,
//     with one small validator of its own calling the model gone, collect
//     an honest owner's bond for a model every honest validator found
//     (TestAttackDatasetServerSplitsAbortCheckToCollectModelBond).
func (k Keeper) abortStands(ctx context.Context, job types.Job, t types.VerificationTally, total int64) error {
	if err := k.emitAbortDecided(ctx, job.Id, t, false, true); err != nil {
		return err
	}
	switch {
	case 3*t.DatasetUnavailablePower > total:
		job.DatasetFeeOwed = false // the owner served nothing: refunded
		if err := k.releaseCollateral(ctx, job); err != nil {
			return err
		}
	case 3*t.InputsUnavailablePower > total || !job.DatasetFeeOwed:
		if err := k.releaseCollateral(ctx, job); err != nil {
			return err
		}
		if job.DatasetFeeOwed {
			// The dataset was served and is paid for; the model was not:
			// its owner's bond makes the requester whole (model_bond.go).
			if err := k.forfeitModelBond(ctx, &job); err != nil {
				return err
			}
		}
	default:
		if err := k.forfeitOwnerFees(ctx, job, types.CloseReason_CLOSE_REASON_ABORTED); err != nil {
			return err
		}
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
}

// abortIsTimeout ends an abort whose inputs were found available: a timeout.
func (k Keeper) abortIsTimeout(ctx context.Context, job types.Job, t types.VerificationTally) error {
	if err := k.emitAbortDecided(ctx, job.Id, t, true, true); err != nil {
		return err
	}
	return k.timeOut(ctx, job)
}

// endAbort ends an abort check at its deadline: one that stood in its grace
// is closed as standing; one that reached no quorum stands too, but the
// dataset fee stays owed to its owner and the winner
// forfeits as much of its collateral to the requester (forfeitOwnerFees;
// the rest released), as for an inconclusive verification.
func (k Keeper) endAbort(ctx context.Context, job types.Job) error {
	t, err := k.Tallies.Get(ctx, job.Id)
	if err != nil && !isNotFound(err) {
		return err
	}
	if t.QuorumOutcome == types.Verdict_VERDICT_INPUTS_UNAVAILABLE && t.QuorumTotalPower > 0 {
		// It stood in its grace (awaitAbortGrace).
		return k.abortStands(ctx, job, t, t.QuorumTotalPower)
	}
	if err := k.emitAbortDecided(ctx, job.Id, t, false, false); err != nil {
		return err
	}
	if err := k.forfeitOwnerFees(ctx, job, types.CloseReason_CLOSE_REASON_ABORTED); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
}

func (k Keeper) emitAbortDecided(ctx context.Context, jobID uint64, t types.VerificationTally, available, quorum bool) error {
	return modkit.EmitTypedEvent(ctx, &types.EventAbortDecided{
		JobId: jobID, InputsAvailable: available, Quorum: quorum,
		AvailablePower: t.InputsAvailablePower, UnavailablePower: t.InputsUnavailablePower + t.DatasetUnavailablePower,
		DatasetUnavailablePower: t.DatasetUnavailablePower,
	})
}
