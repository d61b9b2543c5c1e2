package keeper

import (
	"bytes"
	"context"
	"sort"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// releaseCommitments unlocks every commitment's collateral of a job that did
// not reach award (cancel). Bounded by max_bids_per_job.
func (k Keeper) releaseCommitments(ctx context.Context, jobID uint64) error {
	commits, err := k.jobCommits(ctx, jobID)
	if err != nil {
		return err
	}
	for _, c := range commits {
		if err := k.unlock(ctx, c.Provider, c.Deposit); err != nil {
			return err
		}
	}
	return nil
}

func (k Keeper) jobCommits(ctx context.Context, jobID uint64) ([]types.BidCommit, error) {
	it, err := k.BidCommits.Iterate(ctx, collections.NewPrefixedPairRange[uint64, string](jobID))
	if err != nil {
		return nil, err
	}
	return it.Values()
}

func (k Keeper) unlock(ctx context.Context, addr string, amt sdk.Coin) error {
	p, err := k.GetProvider(ctx, addr)
	if err != nil {
		return err
	}
	old := p
	p.Locked = subClamp(p.Locked, amt)
	return k.saveProvider(ctx, &old, p)
}

// subClamp returns a − b, or zero when b exceeds a. A slash can leave a
// provider's bond below what its open commitments had locked (the lock is
// then capped at the bond), so releases and forfeits are clamped to what is
// still locked rather than failing and stranding a job.
func subClamp(a, b sdk.Coin) sdk.Coin {
	if a.Denom != b.Denom || a.IsLT(b) {
		return zeroCoin(a.Denom)
	}
	return a.Sub(b)
}

// CommitBid records provider's sealed bid (commitment, see
// types.BidCommitment) on a job and locks its collateral from the bond.
func (k Keeper) CommitBid(ctx context.Context, provider sdk.AccAddress, jobID uint64, commitment []byte) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	addr, err := k.addrString(provider)
	if err != nil {
		return err
	}
	job, err := k.GetJob(ctx, jobID)
	if err != nil {
		return err
	}
	if job.State != types.JobState_JOB_STATE_OPEN {
		return types.ErrCommitWindowClosed.Wrapf("job %d is %s", job.Id, job.State)
	}
	if addr == job.Requester {
		return types.ErrOwnBid.Wrapf("job %d", job.Id)
	}
	p, err := k.GetProvider(ctx, addr)
	if err != nil {
		return err
	}
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		return types.ErrProviderNotActive.Wrapf("provider %s is %s", p.Address, p.Status)
	}
	if !p.Hardware.Meets(job.MinHardware, job.Workload.Kind) {
		return types.ErrHardwareMismatch.Wrapf("job %d needs %s for %s", job.Id, job.MinHardware.String(), job.Workload.Kind)
	}
	key := collections.Join(job.Id, addr)
	if has, err := k.BidCommits.Has(ctx, key); err != nil {
		return err
	} else if has {
		return types.ErrBidExists.Wrapf("job %d, provider %s", job.Id, addr)
	}
	if job.CommitCount >= params.MaxBidsPerJob {
		return types.ErrTooManyBids.Wrapf("job %d has %d commitments", job.Id, job.CommitCount)
	}
	collateral := params.Collateral(job.MaxPrice)
	if p.Bond.Denom != collateral.Denom || p.Bond.Sub(p.Locked).IsLT(collateral) {
		return types.ErrInsufficientCollateral.Wrapf("free bond %s, collateral %s", p.Bond.Sub(p.Locked), collateral)
	}
	old := p
	p.Locked = p.Locked.Add(collateral)
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	c := types.BidCommit{
		JobId: job.Id, Provider: addr, Commitment: commitment, Deposit: collateral,
		Order: job.CommitCount, Height: sdk.UnwrapSDKContext(ctx).BlockHeight(),
	}
	if err := k.BidCommits.Set(ctx, key, c); err != nil {
		return err
	}
	job.CommitCount++
	if err := k.saveJob(ctx, job.State, job); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventBidCommitted{JobId: job.Id, Provider: addr, Deposit: collateral.String()})
}

// RevealBid opens provider's commitment on a job during the reveal phase
// with the price and salt it committed to.
func (k Keeper) RevealBid(ctx context.Context, provider sdk.AccAddress, jobID uint64, price sdk.Coin, salt []byte) error {
	job, addr, err := k.jobAndActor(ctx, jobID, provider)
	if err != nil {
		return err
	}
	key := collections.Join(job.Id, addr)
	c, err := k.BidCommits.Get(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return types.ErrBidNotFound.Wrapf("job %d, provider %s", job.Id, addr)
		}
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	switch {
	case job.State == types.JobState_JOB_STATE_OPEN:
		return types.ErrWrongState.Wrapf("job %d: the reveal phase starts after height %d", job.Id, job.CommitEnd)
	case job.State != types.JobState_JOB_STATE_REVEAL || h > job.RevealEnd:
		return types.ErrRevealWindowClosed.Wrapf("job %d is %s; the reveal window ended at height %d", job.Id, job.State, job.RevealEnd)
	}
	if c.Revealed {
		return types.ErrAlreadyRevealed.Wrapf("job %d, provider %s", job.Id, addr)
	}
	if price.Denom != job.MaxPrice.Denom || job.MaxPrice.IsLT(price) {
		return types.ErrInvalidPrice.Wrapf("price %s must be at most max_price %s", price, job.MaxPrice)
	}
	if want := types.BidCommitment(job.Id, addr, price, salt); !bytes.Equal(want, c.Commitment) {
		return types.ErrBadCommitment.Wrapf("job %d, provider %s: SHA-256(job_id ‖ provider ‖ %s ‖ salt) = %X, committed %X",
			job.Id, addr, price, want, c.Commitment)
	}
	c.Revealed = true
	if err := k.BidCommits.Set(ctx, key, c); err != nil {
		return err
	}
	if err := k.Bids.Set(ctx, key, types.Bid{JobId: job.Id, Provider: addr, Price: price}); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventBidRevealed{JobId: job.Id, Provider: addr, Price: price.String()})
}

// endCommitPhase moves an OPEN job to REVEAL, or expires it without bids.
func (k Keeper) endCommitPhase(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_OPEN {
		return ignoreNotFound(err)
	}
	if early, err := filedEarly(ctx, k.CommitEndQueue, job.CommitEnd, job.CommitEnd, id); err != nil || early {
		return err
	}
	if job.CommitCount == 0 {
		return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)
	}
	from := job.State
	job.State = types.JobState_JOB_STATE_REVEAL
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	return k.RevealEndQueue.Set(ctx, pair(job.RevealEnd, job.Id))
}

type revealed struct {
	commit types.BidCommit
	price  sdk.Coin
	slash  uint64
}

// closeAuction awards a REVEAL job at the second-lowest price, forfeits
// unrevealed deposits to the reward pool and releases the losers' collateral.
func (k Keeper) closeAuction(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_REVEAL {
		return ignoreNotFound(err)
	}
	if early, err := filedEarly(ctx, k.RevealEndQueue, job.RevealEnd, job.RevealEnd, id); err != nil || early {
		return err
	}
	valid, err := k.openReveals(ctx, id)
	if err != nil {
		return err
	}
	if len(valid) == 0 {
		return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_VALID_REVEAL)
	}
	rankBids(valid)
	clearing := job.MaxPrice
	if len(valid) > 1 {
		clearing = valid[1].price
	}
	for _, v := range valid[1:] {
		if err := k.unlock(ctx, v.commit.Provider, v.commit.Deposit); err != nil {
			return err
		}
	}
	return k.award(ctx, job, valid[0].commit, clearing)
}

// openReveals goes through a job's commitments at the close of its auction:
// an unrevealed one forfeits its deposit (taken from the bond, sent to the
// reward pool), a revealed one from a provider no longer ACTIVE is released,
// and the revealed bids of ACTIVE providers are returned.
func (k Keeper) openReveals(ctx context.Context, id uint64) ([]revealed, error) {
	commits, err := k.jobCommits(ctx, id)
	if err != nil {
		return nil, err
	}
	var valid []revealed
	forfeited := sdk.NewCoins()
	for _, c := range commits {
		p, err := k.GetProvider(ctx, c.Provider)
		if err != nil {
			return nil, err
		}
		if !c.Revealed {
			take, err := k.forfeitDeposit(ctx, p, c)
			if err != nil {
				return nil, err
			}
			forfeited = forfeited.Add(take)
			continue
		}
		bid, err := k.Bids.Get(ctx, collections.Join(id, c.Provider))
		if err != nil {
			return nil, err
		}
		if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
			// A provider jailed since it bid cannot win: release it.
			if err := k.unlock(ctx, c.Provider, c.Deposit); err != nil {
				return nil, err
			}
			continue
		}
		valid = append(valid, revealed{commit: c, price: bid.Price, slash: p.Stats.Slashed})
	}
	if !forfeited.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, common.RewardPoolName, forfeited); err != nil {
			return nil, err
		}
		if err := k.addStatsCoins(ctx, nil, forfeited, nil); err != nil {
			return nil, err
		}
	}
	return valid, nil
}

// forfeitDeposit takes an unrevealed commitment's deposit (at most the
// remaining bond) from its provider's bond and lock, and returns it.
func (k Keeper) forfeitDeposit(ctx context.Context, p types.Provider, c types.BidCommit) (sdk.Coin, error) {
	old := p
	take := c.Deposit
	if p.Bond.IsLT(take) {
		take = p.Bond
	}
	p.Locked = subClamp(p.Locked, take)
	p.Bond = p.Bond.Sub(take)
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return sdk.Coin{}, err
	}
	return take, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventDepositForfeited{
		JobId: c.JobId, Provider: c.Provider, Amount: c.Deposit.String(),
	})
}

// rankBids orders revealed bids: lowest price first, ties by fewer slashes,
// then by the earlier commitment.
func rankBids(valid []revealed) {
	sort.SliceStable(valid, func(a, b int) bool {
		va, vb := valid[a], valid[b]
		if !va.price.Amount.Equal(vb.price.Amount) {
			return va.price.Amount.LT(vb.price.Amount)
		}
		if va.slash != vb.slash {
			return va.slash < vb.slash
		}
		return va.commit.Order < vb.commit.Order
	})
}

// award assigns the job to the winning commitment at the clearing price: its
// collateral stays locked, its execution deadline is queued, and it gets
// access to the job's dataset.
func (k Keeper) award(ctx context.Context, job types.Job, win types.BidCommit, clearing sdk.Coin) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	from := job.State
	job.State = types.JobState_JOB_STATE_ASSIGNED
	job.Winner = win.Provider
	job.ClearingPrice = clearing
	job.WinnerCollateral = win.Deposit
	job.ExecDeadline = sdkCtx.BlockHeight() + int64(job.ExecBlocks)
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	if err := k.ExecDeadlineQueue.Set(ctx, pair(job.ExecDeadline, job.Id)); err != nil {
		return err
	}
	if job.DatasetId != 0 && k.DatasetKeeper != nil {
		if err := k.DatasetKeeper.GrantJobAccess(ctx, job.DatasetId, job.Id, job.Winner); err != nil {
			return err
		}
	}
	return sdkCtx.EventManager().EmitTypedEvent(&types.EventJobAwarded{
		JobId: job.Id, Winner: job.Winner, ClearingPrice: clearing.String(), ExecDeadline: job.ExecDeadline,
	})
}
