package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// closeWithRefund ends a job, returning its whole escrow (and any dispute
// deposit) to the requester; nothing goes to the model or dataset.
func (k Keeper) closeWithRefund(ctx context.Context, job types.Job, state types.JobState, reason types.CloseReason) error {
	refund := job.Escrow.Add(job.DisputeDeposit...)
	if err := k.refund(ctx, job, refund); err != nil {
		return err
	}
	return k.closeJob(ctx, job, state, reason, sdk.NewCoins(), sdk.NewCoins(), refund)
}

// refund sends coins out of the module account to a job's requester.
func (k Keeper) refund(ctx context.Context, job types.Job, amt sdk.Coins) error {
	if amt.IsZero() {
		return nil
	}
	requester, err := k.accAddress("requester", job.Requester)
	if err != nil {
		return err
	}
	return k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, requester, amt)
}

// closeJob ends a job in a terminal state: its verification records and
// queue entry, its dataset access, its stored state and close reason, and an
// EventJobClosed with what was paid, the protocol fee and the refund.
func (k Keeper) closeJob(ctx context.Context, job types.Job, state types.JobState, reason types.CloseReason, paid, fee, refund sdk.Coins) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	from := job.State
	if from == types.JobState_JOB_STATE_VERIFYING {
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
	job.State, job.CloseReason, job.ClosedHeight = state, reason, sdkCtx.BlockHeight()
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	return sdkCtx.EventManager().EmitTypedEvent(&types.EventJobClosed{
		JobId: job.Id, State: state, CloseReason: reason,
		ProviderPayment: paid.String(), ProtocolFee: fee.String(), Refund: refund.String(),
	})
}

// settle pays a job out: clearing price minus the protocol fee to the winner,
// the protocol fee to the reward pool, the model and dataset fees through
// their keepers, the rest of the escrow back to the requester.
func (k Keeper) settle(ctx context.Context, job types.Job, inconclusive bool) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	price := sdk.NewCoins(job.ClearingPrice)
	fee := common.FeePart(price, params.ProtocolFeeBps)
	pay := price.Sub(fee...)
	spent := price.Add(job.ModelFee...).Add(job.DatasetFee...)
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
// their keepers, refund to the requester.
func (k Keeper) payOut(ctx context.Context, job types.Job, pay, toPool, refund sdk.Coins) error {
	if !pay.IsZero() {
		winner, err := k.accAddress("winner", job.Winner)
		if err != nil {
			return err
		}
		if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, winner, pay); err != nil {
			return err
		}
	}
	if !toPool.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, common.RewardPoolName, toPool); err != nil {
			return err
		}
	}
	if !job.ModelFee.IsZero() {
		if k.ModelKeeper == nil {
			return types.ErrModelsUnavailable.Wrapf("job %d owes a model fee", job.Id)
		}
		if err := k.ModelKeeper.PayModelFee(ctx, job.ModelId, types.ModuleName, job.ModelFee, job.ModelShares, job.Rows); err != nil {
			return err
		}
	}
	if !job.DatasetFee.IsZero() {
		if k.DatasetKeeper == nil {
			return types.ErrDatasetsUnavailable.Wrapf("job %d owes a dataset fee", job.Id)
		}
		if err := k.DatasetKeeper.PayDatasetFee(ctx, job.DatasetId, types.ModuleName, job.DatasetFee, job.DatasetShares); err != nil {
			return err
		}
	}
	return k.refund(ctx, job, refund)
}

// creditWinner releases a settled job's collateral and counts the job and
// its payment in the winner's stats.
func (k Keeper) creditWinner(ctx context.Context, job types.Job, pay sdk.Coins) error {
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return err
	}
	old := p
	p.Locked = subClamp(p.Locked, job.WinnerCollateral)
	p.Stats.Completed++
	p.Stats.Earned = p.Stats.Earned.Add(pay...)
	return k.saveProvider(ctx, &old, p)
}

// emitInconclusive reports the tally of a job settled without a quorum.
func (k Keeper) emitInconclusive(ctx context.Context, jobID uint64) error {
	tally, err := k.Tallies.Get(ctx, jobID)
	if err != nil && !isNotFound(err) {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventVerificationInconclusive{
		JobId: jobID, ValidPower: tally.ValidPower, InvalidPower: tally.InvalidPower, UnavailablePower: tally.UnavailablePower,
	})
}

// slash takes amount from the winner's bond: requester_compensation_bps of it
// to the requester, the rest burned. It also releases the job's collateral.
func (k Keeper) slash(ctx context.Context, job types.Job, fractionBps uint32, reason types.CloseReason, jail bool) (sdk.Coins, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return nil, err
	}
	old := p
	amt := p.Bond.Amount.MulRaw(int64(fractionBps)).QuoRaw(common.BasisPoints)
	if reason == types.CloseReason_CLOSE_REASON_FRAUD && amt.LT(job.WinnerCollateral.Amount) {
		amt = job.WinnerCollateral.Amount
	}
	if amt.GT(p.Bond.Amount) {
		amt = p.Bond.Amount
	}
	slashed := sdk.NewCoins(sdk.NewCoin(p.Bond.Denom, amt))
	comp := common.FeePart(slashed, params.RequesterCompensationBps)
	burn := slashed.Sub(comp...)
	if err := k.refund(ctx, job, comp); err != nil {
		return nil, err
	}
	if !burn.IsZero() {
		if err := k.BankKeeper.BurnCoins(ctx, types.ModuleName, burn); err != nil {
			return nil, err
		}
	}
	p.Bond = p.Bond.SubAmount(amt)
	p.Locked = subClamp(p.Locked, job.WinnerCollateral)
	if p.Locked.Amount.GT(p.Bond.Amount) {
		// Other bids' collateral can no longer be fully covered: cap it.
		p.Locked = p.Bond
	}
	p.Stats.Failed++
	p.Stats.Slashed++
	p.Stats.LastSlashHeight = h
	if jail && p.Status != types.ProviderStatus_PROVIDER_STATUS_UNBONDING {
		p.Status = types.ProviderStatus_PROVIDER_STATUS_JAILED
		p.JailedUntil = h + int64(params.JailBlocks)
		if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventProviderJailed{Provider: p.Address, JailedUntil: p.JailedUntil}); err != nil {
			return nil, err
		}
	}
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return nil, err
	}
	if err := k.addStatsCoins(ctx, nil, nil, burn); err != nil {
		return nil, err
	}
	return comp, sdkCtx.EventManager().EmitTypedEvent(&types.EventProviderSlashed{
		Provider: p.Address, JobId: job.Id, Amount: slashed.String(), ToRequester: comp.String(), Burned: burn.String(), Reason: reason,
	})
}

// failFraud slashes and jails the winner, refunds the requester in full and fails the job.
func (k Keeper) failFraud(ctx context.Context, job types.Job) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if _, err := k.slash(ctx, job, params.SlashFractionFraud, types.CloseReason_CLOSE_REASON_FRAUD, true); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
}

// execTimeout slashes a winner without a result by its deadline and refunds the requester.
func (k Keeper) execTimeout(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_ASSIGNED {
		return ignoreNotFound(err)
	}
	if early, err := filedEarly(ctx, k.ExecDeadlineQueue, job.ExecDeadline, job.ExecDeadline, id); err != nil || early {
		return err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if _, err := k.slash(ctx, job, params.SlashFractionTimeout, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT, false); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
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

// endVerification settles a VERIFYING job that reached no quorum by its
// verification deadline, as inconclusive.
func (k Keeper) endVerification(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_VERIFYING {
		return ignoreNotFound(err)
	}
	if early, err := filedEarly(ctx, k.VerificationEndQueue, job.VerificationEnd, job.VerificationEnd, id); err != nil || early {
		return err
	}
	return k.settle(ctx, job, true)
}
