package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// closeWithRefund ends a job, returning its escrow (and any dispute
// deposit) to the requester, less a verification fee already paid; nothing goes to the model. The dataset fee, once
// owed (the winner was granted the data), goes to the dataset's owner
// instead. The creation fee, paid to the reward pool at creation, is not
// refunded.
func (k Keeper) closeWithRefund(ctx context.Context, job types.Job, state types.JobState, reason types.CloseReason) error {
	refund, neg := job.Escrow.Add(job.DisputeDeposit...).SafeSub(job.VerificationFeePaid...)
	if neg {
		return types.ErrInvariant.Wrapf("job %d: escrow %s below its verification fee paid %s", job.Id, job.Escrow, job.VerificationFeePaid)
	}
	if job.DatasetFeeOwed {
		var neg bool
		if refund, neg = refund.SafeSub(job.DatasetFee...); neg {
			return types.ErrInvariant.Wrapf("job %d: escrow %s below its dataset fee %s", job.Id, job.Escrow, job.DatasetFee)
		}
		if err := k.payDatasetFee(ctx, job); err != nil {
			return err
		}
	}
	if err := k.refund(ctx, job, refund); err != nil {
		return err
	}
	return k.closeJob(ctx, job, state, reason, sdk.NewCoins(), sdk.NewCoins(), refund)
}

// refund sends coins out of the module account to a job's requester; a
// refund that cannot be paid goes to the reward pool (payOrRedirect).
func (k Keeper) refund(ctx context.Context, job types.Job, amt sdk.Coins) error {
	return k.payRequester(ctx, job, "refund", amt)
}

// payRequester sends amt (what it is, for EventPayoutRedirected) out of the
// module account to a job's requester, or to the reward pool when that
// fails (payOrRedirect).
func (k Keeper) payRequester(ctx context.Context, job types.Job, what string, amt sdk.Coins) error {
	return k.payOrRedirect(ctx, job.Id, what, amt, func(ctx context.Context) error {
		requester, err := k.accAddress("requester", job.Requester)
		if err != nil {
			return err
		}
		return k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, requester, amt)
	})
}

// closeJob ends a job in a terminal state: its verification records and
// queue entry, its dataset access, its lock of its model owner's bond, its stored state and close reason, its
// pruning after retention_blocks, and an EventJobClosed with what was paid,
// the protocol fee and the refund.
func (k Keeper) closeJob(ctx context.Context, job types.Job, state types.JobState, reason types.CloseReason, paid, fee, refund sdk.Coins) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	from := job.State
	if from.UnderCheck() {
		if err := k.takeCounted(ctx, &job); err != nil {
			return err
		}
		if err := k.clearTally(ctx, job.Id); err != nil {
			return err
		}
		if err := k.VerificationEndQueue.Remove(ctx, pair(job.VerificationEnd, job.Id)); err != nil {
			return err
		}
	}
	if job.DatasetId != 0 && job.Winner != "" && k.DatasetKeeper != nil {
		if err := k.DatasetKeeper.RevokeJobAccess(ctx, job.DatasetId, job.Id); err != nil {
			return err
		}
	}
	if err := k.releaseModelBond(ctx, job); err != nil {
		return err
	}
	job.State, job.CloseReason, job.ClosedHeight = state, reason, sdkCtx.BlockHeight()
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	if h, ok := pruneKey(job, params); !ok {
		// A cancelled job's release is pending: its end files the prune.
	} else if err := k.PruneQueue.Set(ctx, pair(h, job.Id)); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventJobClosed{
		JobId: job.Id, State: state, CloseReason: reason,
		ProviderPayment: paid.String(), ProtocolFee: fee.String(), Refund: refund.String(),
	})
}

// settle pays a job out: clearing price minus the protocol fee in force when
// the job was created (job.protocol_fee_bps) to the winner, the protocol fee
// to the reward pool, the model and dataset fees through their keepers, the
// rest of the escrow (less a verification fee already paid to the
// validators) back to the requester.
func (k Keeper) settle(ctx context.Context, job types.Job, inconclusive bool) error {
	price := sdk.NewCoins(job.ClearingPrice)
	fee := common.FeePart(price, job.ProtocolFeeBps)
	pay := price.Sub(fee...)
	spent := price.Add(job.ModelFee...).Add(job.DatasetFee...).Add(job.VerificationFeePaid...)
	refund, neg := job.Escrow.SafeSub(spent...)
	if neg {
		return types.ErrInvariant.Wrapf("job %d: escrow %s below what it owes %s", job.Id, job.Escrow, spent)
	}
	toPool := fee
	if inconclusive {
		refund = refund.Add(job.DisputeDeposit...)
	} else {
		toPool = toPool.Add(job.DisputeDeposit...)
	}
	if err := k.payOut(ctx, job, pay, toPool, refund); err != nil {
		return err
	}
	if err := k.creditWinner(ctx, job, pay); err != nil {
		return err
	}
	if err := k.addStatsCoins(ctx, pay, toPool, nil); err != nil {
		return err
	}
	reason := types.CloseReason_CLOSE_REASON_SETTLED
	if inconclusive {
		reason = types.CloseReason_CLOSE_REASON_SETTLED_INCONCLUSIVE
		if err := k.emitInconclusive(ctx, job.Id); err != nil {
			return err
		}
	}
	return k.closeJob(ctx, job, types.JobState_JOB_STATE_SETTLED, reason, pay, toPool, refund)
}

// payOut moves a settled job's escrow out of the module account: pay to the
// winner, toPool to the reward pool, the model and dataset fees through
// their keepers, refund to the requester. Each payout but the reward pool's
// is all or nothing on its own; one that fails goes to the reward pool
// instead (payOrRedirect), so that no payee can freeze the job.
func (k Keeper) payOut(ctx context.Context, job types.Job, pay, toPool, refund sdk.Coins) error {
	if err := k.payOrRedirect(ctx, job.Id, "provider_payment", pay, func(ctx context.Context) error {
		winner, err := k.accAddress("winner", job.Winner)
		if err != nil {
			return err
		}
		return k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, winner, pay)
	}); err != nil {
		return err
	}
	if !toPool.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, common.RewardPoolName, toPool); err != nil {
			return err
		}
	}
	if err := k.payModelFee(ctx, job); err != nil {
		return err
	}
	if err := k.payDatasetFee(ctx, job); err != nil {
		return err
	}
	return k.refund(ctx, job, refund)
}

// payModelFee pays a settled job's model fee through x/modelregistry, which
// records the use; a free model's use is recorded too (a zero fee). The
// platform fee is the one in the job's terms: the model's owner priced its
// model under it, and a params change while the job ran does not take more
// of the fee (TestAttackParamsPlatformFeeRaisedUnderRunningJob).
func (k Keeper) payModelFee(ctx context.Context, job types.Job) error {
	if job.ModelId == 0 {
		return nil
	}
	pay := func(ctx context.Context) error {
		if k.ModelKeeper == nil {
			return types.ErrModelsUnavailable.Wrapf("job %d ran a model", job.Id)
		}
		terms, err := k.jobTerms(ctx, job)
		if err != nil {
			return err
		}
		return k.ModelKeeper.PayModelFeeAt(ctx, job.ModelId, types.ModuleName, job.ModelFee, terms.PlatformFeeBps, job.ModelShares, job.Rows)
	}
	if !job.ModelFee.IsZero() {
		return k.payOrRedirect(ctx, job.Id, "model_fee", job.ModelFee, pay)
	}
	if err := modkit.RunCached(ctx, pay); err != nil {
		// Nothing to pay: the use went unrecorded, said so in the log and an event.
		k.Logger(ctx).Error("model use not recorded", "job_id", job.Id, "model_id", job.ModelId, "err", err)
		return modkit.EmitTypedEvent(ctx, &types.EventPayoutRedirected{
			JobId: job.Id, What: "model_usage", Amount: sdk.NewCoins().String(), Error: err.Error(),
		})
	}
	return nil
}

// payDatasetFee pays a job's dataset fee to the dataset's owner: charged
// once through the job's access when the fee is owed (ChargeJobDatasetFeeAt),
// else (a job awarded before the owed-fee rule) paid as a settlement fee. A
// fee that cannot be paid goes to the reward pool (payOrRedirect). The
// market fee is the one in the job's terms, as payModelFee's platform fee
// (TestAttackParamsMarketFeeRaisedUnderRunningJob).
func (k Keeper) payDatasetFee(ctx context.Context, job types.Job) error {
	return k.payOrRedirect(ctx, job.Id, "dataset_fee", job.DatasetFee, func(ctx context.Context) error {
		if k.DatasetKeeper == nil {
			return types.ErrDatasetsUnavailable.Wrapf("job %d owes a dataset fee", job.Id)
		}
		terms, err := k.jobTerms(ctx, job)
		if err != nil {
			return err
		}
		if job.DatasetFeeOwed {
			return k.DatasetKeeper.ChargeJobDatasetFeeAt(ctx, job.DatasetId, job.Id, types.ModuleName, job.DatasetFee, terms.MarketFeeBps, job.DatasetShares)
		}
		return k.DatasetKeeper.PayDatasetFeeAt(ctx, job.DatasetId, types.ModuleName, job.DatasetFee, terms.MarketFeeBps, job.DatasetShares)
	})
}

// creditWinner ends a settled job's obligation on its winner, releases its
// collateral (a price collateral back to its account) and counts the job, its payment and its value in the winner's
// record (which also ends a run of timeouts). A winner no longer on record
// (it cannot unbond with an obligation, so only a broken genesis gets here)
// is skipped: the payment went to its account anyway.
func (k Keeper) creditWinner(ctx context.Context, job types.Job, pay sdk.Coins) error {
	return k.endObligation(ctx, job, func(p *types.Provider) { recordCompleted(p, job, pay) })
}

// emitInconclusive reports the tally of a job settled without a quorum.
func (k Keeper) emitInconclusive(ctx context.Context, jobID uint64) error {
	tally, err := k.Tallies.Get(ctx, jobID)
	if err != nil && !isNotFound(err) {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventVerificationInconclusive{
		JobId: jobID, ValidPower: tally.ValidPower, InvalidPower: tally.InvalidPower, UnavailablePower: tally.UnavailablePower,
	})
}

// endChallenge settles an unsampled result whose challenge window ended
// without a dispute.
func (k Keeper) endChallenge(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_SUBMITTED || !job.Sample.Decided {
		return ignoreNotFound(err)
	}
	if early, err := filedEarly(ctx, k.ChallengeEndQueue, job.ChallengeEnd, job.ChallengeEnd, id); err != nil || early {
		return err
	}
	return k.settle(ctx, job, false)
}

// endVerification ends a check at its deadline. A VERIFYING job whose
// verdicts reached a quorum gets that quorum's outcome, its fee shared
// against the power recorded then (its grace is over: awaitGrace); one that
// reached none has its window extended once, then closes inconclusive with
// nothing paid (endInconclusive). An ABORTING job's abort stands (endAbort).
func (k Keeper) endVerification(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || !job.State.UnderCheck() {
		return ignoreNotFound(err)
	}
	if early, err := filedEarly(ctx, k.VerificationEndQueue, job.VerificationEnd, job.VerificationEnd, id); err != nil || early {
		return err
	}
	if job.State == types.JobState_JOB_STATE_ABORTING {
		return k.endAbort(ctx, job)
	}
	t, err := k.Tallies.Get(ctx, id)
	if err != nil && !isNotFound(err) {
		return err
	}
	if t.QuorumTotalPower > 0 {
		if decide := decideAs(job, t.QuorumOutcome, t.QuorumTotalPower); decide != nil {
			return decide(ctx, k)
		}
	}
	return k.endInconclusive(ctx, job)
}
