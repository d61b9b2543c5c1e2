package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// A job takes any number of commitments, so nothing that ends them may walk
// them all at once: the close of an auction and the release of a cancelled
// job's commitments go through them close_batch_size per block, in key order,
// keeping their progress on the job (types.CommitmentSweep) and filing the
// job again at h + 1 in the reveal-end queue until the last is handled. With
// the queue's per-block budget of entries, a block handles at most
// max_queue_items_per_block × close_batch_size commitments, however many a
// hostile provider made. At the close, the ranking needs no list: the leader
// so far stays locked, every other valid bid is released as soon as it is
// outranked, and only its price is kept (the lowest of them is the second
// price).

// sweepJob is the reveal-end queue's handler: it goes on with the close of a
// REVEAL job whose reveal window has ended, or the release of a cancelled
// job's commitments; a job whose commitments are not all handled is filed
// again at h + 1. Other jobs (closed in the meantime) are left alone.
func (k Keeper) sweepJob(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil {
		return ignoreNotFound(err)
	}
	closing := job.State == types.JobState_JOB_STATE_REVEAL
	if !closing && !job.Sweep.ReleasePending {
		return nil
	}
	if closing {
		if early, err := filedEarly(ctx, k.RevealEndQueue, revealKey(job), job.RevealEnd, id); err != nil || early {
			return err
		}
	}
	// An unrevealed commitment forfeits the bid_deposit of the job's terms,
	// the one it committed under: a raise under a running auction would take
	// its whole lock, a cut make not revealing free
	// (TestAttackParamsBidDepositRaisedUnderRunningAuction).
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	done, err := k.sweepBatch(ctx, &job, params)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	switch {
	case !done:
		job.Sweep.ResumeHeight = h + 1
		if err := k.saveJob(ctx, job.State, job); err != nil {
			return err
		}
		return k.RevealEndQueue.Set(ctx, pair(h+1, id))
	case closing:
		return k.finishAuction(ctx, job)
	default:
		return k.endRelease(ctx, job, params, h)
	}
}

// endRelease ends the release of cancelled job's commitments and files its
// pruning, which waited for it: at closed_height + retention_blocks, or in
// the next block when the release outlasted that (recorded as the sweep's
// resume_height, where a genesis files it too).
func (k Keeper) endRelease(ctx context.Context, job types.Job, params types.Params, h int64) error {
	job.Sweep = types.CommitmentSweep{}
	if due := pruneHeight(job, params); due <= h {
		job.Sweep.ResumeHeight = h + 1
	}
	if err := k.saveJob(ctx, job.State, job); err != nil {
		return err
	}
	due, _ := pruneKey(job, params)
	return k.PruneQueue.Set(ctx, pair(due, job.Id))
}

// sweepBatch handles the next close_batch_size commitments of job after
// job.Sweep.After, updating job.Sweep (the caller saves the job); done
// reports that none is left. Deposits forfeited go to the reward pool.
func (k Keeper) sweepBatch(ctx context.Context, job *types.Job, params types.Params) (done bool, err error) {
	batch, done, err := k.nextCommits(ctx, job.Id, job.Sweep.After, int(params.CloseBatchSize))
	if err != nil {
		return false, err
	}
	forfeited := sdk.NewCoins()
	for _, c := range batch {
		job.Sweep.After = c.Provider
		if c.Closed {
			continue
		}
		take, err := k.sweepCommit(ctx, job, c, params.BidDeposit)
		if err != nil {
			return false, err
		}
		forfeited = forfeited.Add(take...)
	}
	if forfeited.IsZero() {
		return done, nil
	}
	if err := k.BankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, common.RewardPoolName, forfeited); err != nil {
		return false, err
	}
	return done, k.addStatsCoins(ctx, nil, forfeited, nil)
}

// nextCommits reads up to n commitments of job id after provider after
// ("" = from the first); done reports that they were the last.
func (k Keeper) nextCommits(ctx context.Context, id uint64, after string, n int) ([]types.BidCommit, bool, error) {
	rng := collections.NewPrefixedPairRange[uint64, string](id)
	if after != "" {
		rng = rng.StartExclusive(after)
	}
	it, err := k.BidCommits.Iterate(ctx, rng)
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	var batch []types.BidCommit
	for ; it.Valid() && len(batch) < n; it.Next() {
		c, err := it.Value()
		if err != nil {
			return nil, false, err
		}
		batch = append(batch, c)
	}
	return batch, !it.Valid(), nil
}

// sweepCommit closes one commitment of job: on a cancel it is released;
// at the close of an auction an unrevealed one forfeits its deposit
// (returned, for the reward pool), a revealed one of a provider no longer
// ACTIVE is released, and a valid one is ranked against the leader.
func (k Keeper) sweepCommit(ctx context.Context, job *types.Job, c types.BidCommit, bidDeposit sdk.Coin) (sdk.Coins, error) {
	if job.State != types.JobState_JOB_STATE_REVEAL { // cancelled (OPEN, in CancelJob)
		return nil, k.closeCommitment(ctx, c)
	}
	p, err := k.GetProvider(ctx, c.Provider)
	if err != nil {
		return nil, err
	}
	if !c.Revealed {
		take, err := k.forfeitDeposit(ctx, p, c, bidDeposit)
		return sdk.NewCoins(take), err
	}
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		// A provider jailed since it bid cannot win: release it.
		return nil, k.closeCommitment(ctx, c)
	}
	bid, err := k.Bids.Get(ctx, collections.Join(job.Id, c.Provider))
	if err != nil {
		return nil, err
	}
	return nil, k.rank(ctx, job, c, bid.Price, p.Stats.Slashed)
}

// rank sets valid bid c (price, its provider's slashes) against the leader:
// the better one leads, the other is released and its price may become the
// runner-up's (the clearing price is the lowest price but the winner's).
func (k Keeper) rank(ctx context.Context, job *types.Job, c types.BidCommit, price sdk.Coin, slashes uint64) error {
	sw := &job.Sweep
	if sw.Leader == "" {
		sw.Leader, sw.LeaderPrice, sw.LeaderSlashes, sw.LeaderOrder = c.Provider, price, slashes, c.Order
		return nil
	}
	loser, loserPrice := c, price
	if outranks(price, slashes, c.Order, *sw) {
		old, err := k.BidCommits.Get(ctx, collections.Join(job.Id, sw.Leader))
		if err != nil {
			return err
		}
		loser, loserPrice = old, sw.LeaderPrice
		sw.Leader, sw.LeaderPrice, sw.LeaderSlashes, sw.LeaderOrder = c.Provider, price, slashes, c.Order
	}
	if !sw.HasRunnerUp || loserPrice.Amount.LT(sw.RunnerUpPrice.Amount) {
		sw.HasRunnerUp, sw.RunnerUpPrice = true, loserPrice
	}
	return k.closeCommitment(ctx, loser)
}

// outranks reports whether a bid ranks before the sweep's leader: the lower
// price, then fewer slashes, then the earlier commitment.
func outranks(price sdk.Coin, slashes uint64, order uint32, sw types.CommitmentSweep) bool {
	if !price.Amount.Equal(sw.LeaderPrice.Amount) {
		return price.Amount.LT(sw.LeaderPrice.Amount)
	}
	if slashes != sw.LeaderSlashes {
		return slashes < sw.LeaderSlashes
	}
	return order < sw.LeaderOrder
}

// finishAuction ends the close of job once every commitment is handled: the
// leader wins at the runner-up's price (max_price when it bid alone); without
// a valid bid, or with a leader jailed while the close went on over several
// blocks, the job expires and the requester is refunded. A leader jailed
// mid-close (voidLead) forfeits as if it had won and timed out, so that
// voiding an auction it leads costs it what winning and walking away would
// (TestAttackProviderJailsItselfMidCloseToVoidTheAuction).
func (k Keeper) finishAuction(ctx context.Context, job types.Job) error {
	sw := job.Sweep
	job.Sweep = types.CommitmentSweep{}
	if sw.Leader == "" {
		return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_VALID_REVEAL)
	}
	win, err := k.BidCommits.Get(ctx, collections.Join(job.Id, sw.Leader))
	if err != nil {
		return err
	}
	p, err := k.GetProvider(ctx, sw.Leader)
	if err != nil {
		return err
	}
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		if err := k.voidLead(ctx, job, win); err != nil {
			return err
		}
		return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_VALID_REVEAL)
	}
	clearing := job.MaxPrice
	if sw.HasRunnerUp {
		clearing = sw.RunnerUpPrice
	}
	if err := k.markClosed(ctx, win); err != nil {
		return err
	}
	return k.award(ctx, job, win, clearing)
}

// voidLead ends the commitment win of a leader no longer ACTIVE at the end of
// job's close: it forfeits what the winner of job would on a timeout
// (timeoutPenalty on the commitment's collateral: the requester's
// compensation capped at its creation fee, the rest to the reward pool; a
// timeout in its record) and the commitment is closed. A leader can only be
// jailed here (an unbonding provider has no commitment), and jailing itself
// after leading must not be a cheap way to void an auction it would lose
// nothing by abandoning.
func (k Keeper) voidLead(ctx context.Context, job types.Job, win types.BidCommit) error {
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	job.Winner, job.WinnerCollateral, job.WinnerPriceCollateral = win.Provider, win.Deposit, win.PriceCollateral
	if err := k.timeoutPenalty(ctx, job, params); err != nil {
		return err
	}
	return k.markClosed(ctx, win)
}

// closeCommitment releases commitment c (releaseCommitment) and marks it closed.
func (k Keeper) closeCommitment(ctx context.Context, c types.BidCommit) error {
	if err := k.releaseCommitment(ctx, c); err != nil {
		return err
	}
	return k.markClosed(ctx, c)
}

// markClosed records that commitment c no longer holds collateral.
func (k Keeper) markClosed(ctx context.Context, c types.BidCommit) error {
	c.Closed = true
	return k.BidCommits.Set(ctx, collections.Join(c.JobId, c.Provider), c)
}

// forfeitDeposit ends an unrevealed commitment: it forfeits bidDeposit (at
// most the commitment's collateral and the remaining bond), taken from its
// provider's bond; the rest of the collateral is released, a price
// collateral (a job in another denom) goes back to the provider's account,
// and the commitment is closed. It returns what was taken. The penalty is
// the deposit the design names, never the whole collateral: a provider that
// cannot reveal loses what a bid is worth, not collateral_ratio × max_price.
func (k Keeper) forfeitDeposit(ctx context.Context, p types.Provider, c types.BidCommit, bidDeposit sdk.Coin) (sdk.Coin, error) {
	old := p
	take := c.Deposit
	if bidDeposit.Denom == take.Denom && bidDeposit.IsLT(take) {
		take = bidDeposit
	}
	if p.Bond.IsLT(take) {
		take = p.Bond
	}
	p.Locked = subClamp(p.Locked, c.Deposit)
	p.Bond = p.Bond.Sub(take)
	if err := checkLock(p); err != nil { // take ≤ the deposit released: cannot
		return sdk.Coin{}, err
	}
	dropObligation(&p)
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return sdk.Coin{}, err
	}
	if err := k.returnPriceCollateral(ctx, c.JobId, c.Provider, c.PriceCollateral); err != nil {
		return sdk.Coin{}, err
	}
	if err := k.markClosed(ctx, c); err != nil {
		return sdk.Coin{}, err
	}
	return take, modkit.EmitTypedEvent(ctx, &types.EventDepositForfeited{
		JobId: c.JobId, Provider: c.Provider, Amount: take.String(),
	})
}

// cancelCommitments releases a cancelled job's commitments: the first
// close_batch_size in the requester's transaction, and any beyond those
// (the requester does not pay for however many a hostile provider made)
// from this block's EndBlocker on, the job filed in the reveal-end queue
// with its release pending. The caller saves the job.
func (k Keeper) cancelCommitments(ctx context.Context, job *types.Job) error {
	if job.CommitCount == 0 {
		// Nothing to release: no iterator (one per cancel scanned the
		// block's writes to the store; TestAttackCreateCancelFloodOpensIteratorPerCancel).
		job.Sweep = types.CommitmentSweep{}
		return nil
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	done, err := k.sweepBatch(ctx, job, params)
	if err != nil || done {
		job.Sweep = types.CommitmentSweep{}
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	job.Sweep.ReleasePending, job.Sweep.ResumeHeight = true, h
	return k.RevealEndQueue.Set(ctx, pair(h, job.Id))
}
