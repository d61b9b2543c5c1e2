package keeper

import (
	"context"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// slashFraud takes max(slash_fraction_fraud × bond, the job's collateral)
// (at most the bond) from the winner, and for a job priced in another denom
// the whole price collateral too: requester_compensation_bps of the whole
// slash to the requester (at most what is taken at once), the rest burned.
// The bond pays at once only what its other live jobs' locks leave free
// (splitFraudSlash); the rest is owed and burned as those locks are released
// (slash_owed.go), so that their penalties stay backed. It ends the job's
// obligation, records the fraud (sampled at 100% for the recent-slash
// window) and jails the winner.
func (k Keeper) slashFraud(ctx context.Context, job types.Job, params types.Params) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return err
	}
	old := p
	amt := p.Bond.Amount.MulRaw(int64(params.SlashFractionFraud)).QuoRaw(common.BasisPoints)
	amt = math.MinInt(math.MaxInt(amt, job.WinnerCollateral.Amount), p.Bond.Amount)
	now, owed := splitFraudSlash(p, job, amt)
	// A job in another denom also forfeits the whole price collateral.
	pc := priceCollateral(job.WinnerPriceCollateral)
	slashed := sdk.NewCoins(sdk.NewCoin(p.Bond.Denom, now)).Add(pc...)
	comp := common.FeePart(sdk.NewCoins(sdk.NewCoin(p.Bond.Denom, amt)).Add(pc...), params.RequesterCompensationBps)
	if !comp.IsAllLTE(slashed) {
		comp = comp.Min(slashed)
	}
	burn := slashed.Sub(comp...)
	if err := k.refund(ctx, job, comp); err != nil {
		return err
	}
	if !burn.IsZero() {
		if err := k.BankKeeper.BurnCoins(ctx, types.ModuleName, burn); err != nil {
			return err
		}
	}
	p.Bond = p.Bond.SubAmount(now)
	p.SlashOwed = slashOwed(p).AddAmount(owed)
	releaseWinner(&p, job)
	if err := checkLock(p); err != nil {
		return err
	}
	recordFraud(&p, job, h)
	if err := k.jail(ctx, &p, params, h); err != nil {
		return err
	}
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	if err := k.addStatsCoins(ctx, nil, nil, burn); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventProviderSlashed{
		Provider: p.Address, JobId: job.Id, Amount: slashed.String(), ToRequester: comp.String(), Burned: burn.String(),
		Reason: types.CloseReason_CLOSE_REASON_FRAUD, ToRewardPool: sdk.NewCoins().String(),
	})
}

// jail jails p until jail_blocks from h, or until the end of a jail it is
// already serving if that is later (an unbonding provider stays unbonding:
// it can neither bid nor win anyway). jail_blocks is the failing job's term,
// so two jobs may jail for different spans: a failure on a job with a
// shorter jail_blocks never shortens a longer jail already running
// (TestAttackOlderTermsJailShortensALongerJail).
func (k Keeper) jail(ctx context.Context, p *types.Provider, params types.Params, h int64) error {
	if p.Status == types.ProviderStatus_PROVIDER_STATUS_UNBONDING {
		return nil
	}
	until := h + int64(params.JailBlocks)
	if p.Status == types.ProviderStatus_PROVIDER_STATUS_JAILED && p.JailedUntil > until {
		until = p.JailedUntil
	}
	p.Status = types.ProviderStatus_PROVIDER_STATUS_JAILED
	p.JailedUntil = until
	return modkit.EmitTypedEvent(ctx, &types.EventProviderJailed{Provider: p.Address, JailedUntil: p.JailedUntil})
}

// failFraud slashes and jails the winner, refunds the requester in full and fails the job.
func (k Keeper) failFraud(ctx context.Context, job types.Job) error {
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	if err := k.slashFraud(ctx, job, params); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
}

// timeoutPenalty is what a winner without a result owes, sized to its job:
// it forfeits slash_fraction_timeout of the job's collateral in each denom
// it was posted in (collateralPenalty: the bond's lock, and a price
// collateral). The requester, refunded its escrow, has lost the creation fee it
// paid and the dataset fee the winner's access made the owner's, so its
// compensation is requester_compensation_bps of the penalty capped at those,
// denom by denom (no oracle converts one into another);
// the rest goes to the reward pool (never to
// the requester: a timeout it provoked earns it nothing). The job's
// obligation ends; the timeout counts in the winner's record, and
// timeout_jail_threshold timeouts in a row (no completed job between) jail it,
// the threshold of the job's terms (TestAttackParamsJailThresholdCutUnderRunningJob).
func (k Keeper) timeoutPenalty(ctx context.Context, job types.Job, params types.Params) error {
	return k.forfeitCollateral(ctx, job, params, params.SlashFractionTimeout, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
}

// forfeitCollateral takes fractionBps of the job's collateral in each denom
// (collateralPenalty; at most the bond) from its winner, as timeoutPenalty
// describes: the requester's compensation capped, denom by denom, at its
// creation fee and the dataset fee once owed (what it lost), the rest to the
// reward pool; the failure counts as a timeout in the winner's record.
func (k Keeper) forfeitCollateral(ctx context.Context, job types.Job, params types.Params, fractionBps uint32, reason types.CloseReason) error {
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return err
	}
	f := forfeiture{reason: reason, timeout: true}
	f.penalty, f.fromBond, f.back = collateralPenalty(job, p, fractionBps)
	f.comp = common.FeePart(f.penalty, params.RequesterCompensationBps)
	lost := creationFee(job)
	if job.DatasetFeeOwed {
		lost = lost.Add(job.DatasetFee...)
	}
	// A withheld result also cost the requester the verification fee the
	// validators were paid for finding it withheld.
	lost = lost.Add(job.VerificationFeePaid...)
	if !f.comp.IsAllLTE(lost) {
		f.comp = f.comp.Min(lost)
	}
	return k.forfeit(ctx, job, p, params, f)
}

// forfeiture is what a winner forfeits of its job's collateral: penalty, in
// each denom, fromBond of it out of the bond's lock and the rest out of a
// price collateral, whose remainder (back) goes back to the provider; comp
// of it to the requester, the rest to the reward pool; timeout counts it as
// a timeout in the winner's record.
type forfeiture struct {
	penalty  sdk.Coins
	fromBond math.Int
	back     sdk.Coin
	comp     sdk.Coins
	reason   types.CloseReason
	timeout  bool
}

// forfeit applies f to p, the winner of job: the penalty paid out, the
// job's obligation ended and its lock released, the record updated (and a
// winner whose timeouts in a row reach timeout_jail_threshold jailed).
func (k Keeper) forfeit(ctx context.Context, job types.Job, p types.Provider, params types.Params, f forfeiture) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	old := p
	if err := k.returnPriceCollateral(ctx, job.Id, job.Winner, f.back); err != nil {
		return err
	}
	toPool := f.penalty.Sub(f.comp...)
	if err := k.refund(ctx, job, f.comp); err != nil {
		return err
	}
	if !toPool.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, common.RewardPoolName, toPool); err != nil {
			return err
		}
	}
	p.Bond = p.Bond.SubAmount(f.fromBond)
	releaseWinner(&p, job)
	if err := checkLock(p); err != nil {
		return err
	}
	if f.timeout && recordTimeout(&p, job) >= params.TimeoutJailThreshold {
		if err := k.jail(ctx, &p, params, sdkCtx.BlockHeight()); err != nil {
			return err
		}
	}
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	if err := k.addStatsCoins(ctx, nil, toPool, nil); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventProviderSlashed{
		Provider: p.Address, JobId: job.Id, Amount: f.penalty.String(), ToRequester: f.comp.String(), Burned: sdk.NewCoins().String(),
		Reason: f.reason, ToRewardPool: toPool.String(),
	})
}

// forfeitOwnerFees makes the requester of a job that ends inconclusive (a
// verification, or an abort's input check, without a quorum: reason) whole
// for what it paid the dataset's and model's owners for it (ownerFees): its
// winner forfeits that much of the job's collateral, denom by denom (at
// most the collateral: feePenalty), all of it to the requester. The access
// was granted, so the owners keep their fees; the winner, which serves the
// chunks (or aborted) and so decides whether the check can conclude, pays
// for them: an owner that runs the winner nets nothing, a requester that
// runs it pays the fee. Nothing counts in its record (an inconclusive check
// is not proved a failure).
func (k Keeper) forfeitOwnerFees(ctx context.Context, job types.Job, reason types.CloseReason) error {
	fees := ownerFees(job)
	if fees.IsZero() {
		return k.releaseCollateral(ctx, job)
	}
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	p, err := k.Providers.Get(ctx, job.Winner)
	if err != nil {
		if isNotFound(err) { // as in releaseCollateral
			return k.releaseCollateral(ctx, job)
		}
		return err
	}
	f := forfeiture{reason: reason}
	f.penalty, f.fromBond, f.back = feePenalty(job, p, fees)
	f.comp = f.penalty
	return k.forfeit(ctx, job, p, params, f)
}

// ownerFees is what the requester of a job closed with a refund
// (closeWithRefund) paid the dataset's and model's owners: the dataset fee
// once owed; the model fee is paid only on settlement.
func ownerFees(job types.Job) sdk.Coins {
	if !job.DatasetFeeOwed {
		return sdk.NewCoins()
	}
	return sdk.NewCoins(job.DatasetFee...)
}

// feePenalty sizes a forfeit of fees from the collateral of job's winner p,
// per denom: out of the bond's lock (at most the collateral and the bond)
// for the bond denom, out of a price collateral (at most it) for the job's
// denom, whose remainder (back) goes back to the provider. A fee in any
// other denom has no collateral to come from.
func feePenalty(job types.Job, p types.Provider, fees sdk.Coins) (penalty sdk.Coins, fromBond math.Int, back sdk.Coin) {
	fromBond = math.MinInt(math.MinInt(fees.AmountOf(p.Bond.Denom), job.WinnerCollateral.Amount), p.Bond.Amount)
	penalty = sdk.NewCoins(sdk.NewCoin(p.Bond.Denom, fromBond))
	if pc := priceCollateral(job.WinnerPriceCollateral); !pc.IsZero() {
		cut := sdk.NewCoin(pc[0].Denom, math.MinInt(fees.AmountOf(pc[0].Denom), pc[0].Amount))
		penalty, back = penalty.Add(cut), pc[0].Sub(cut)
	}
	return penalty, fromBond, back
}

// collateralPenalty sizes a penalty of fractionBps of the job's collateral
// on p, its winner, per denom: of the collateral locked from the bond (at
// most the bond: fromBond, bond denom) and, for a job priced in another
// denom, of its price collateral, whose remainder (back) goes back to the
// provider.
func collateralPenalty(job types.Job, p types.Provider, fractionBps uint32) (penalty sdk.Coins, fromBond math.Int, back sdk.Coin) {
	frac := func(a math.Int) math.Int {
		return a.MulRaw(int64(fractionBps)).QuoRaw(common.BasisPoints)
	}
	fromBond = math.MinInt(frac(job.WinnerCollateral.Amount), p.Bond.Amount)
	penalty = sdk.NewCoins(sdk.NewCoin(p.Bond.Denom, fromBond))
	if pc := priceCollateral(job.WinnerPriceCollateral); !pc.IsZero() {
		cut := sdk.NewCoin(pc[0].Denom, frac(pc[0].Amount))
		penalty, back = penalty.Add(cut), pc[0].Sub(cut)
	}
	return penalty, fromBond, back
}

// creationFee is the non-refundable fee a job's requester paid (none for a
// job created before the fee existed).
func creationFee(job types.Job) sdk.Coins {
	if job.CreationFee.Amount.IsNil() || !job.CreationFee.IsPositive() {
		return sdk.NewCoins()
	}
	return sdk.NewCoins(job.CreationFee)
}

// timeOut ends a won job as a timeout: the winner's penalty, a full refund
// of the escrow, EXPIRED/EXECUTION_TIMEOUT.
func (k Keeper) timeOut(ctx context.Context, job types.Job) error {
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	if err := k.timeoutPenalty(ctx, job, params); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
}

// execTimeout ends a job whose winner submitted no result by its deadline.
func (k Keeper) execTimeout(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_ASSIGNED {
		return ignoreNotFound(err)
	}
	if early, err := filedEarly(ctx, k.ExecDeadlineQueue, job.ExecDeadline, job.ExecDeadline, id); err != nil || early {
		return err
	}
	return k.timeOut(ctx, job)
}
