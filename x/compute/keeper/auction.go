package keeper

import (
	"bytes"
	"context"
	"math"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

func (k Keeper) jobCommits(ctx context.Context, jobID uint64) ([]types.BidCommit, error) {
	it, err := k.BidCommits.Iterate(ctx, collections.NewPrefixedPairRange[uint64, string](jobID))
	if err != nil {
		return nil, err
	}
	return it.Values()
}

// CommitBid records provider's sealed bid (commitment, see
// types.BidCommitment) on a job in its commit phase (OPEN, at most
// commit_end: the phase is by height, whatever a queue backlog left in the
// stored state), locks its collateral from the bond and counts the
// commitment among the provider's obligations. A job takes any number of
// commitments (up to its uint32 counter): a fixed number of slots let a
// provider fill them all with sybils the moment a job appeared and win it
// alone at max_price. What bounds the work is that each commitment locks its
// own collateral, and the close handles close_batch_size of them per block
// (sweep.go).
func (k Keeper) CommitBid(ctx context.Context, provider sdk.AccAddress, jobID uint64, commitment []byte) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	job, addr, err := k.jobAndActor(ctx, jobID, provider)
	if err != nil {
		return err
	}
	// The collateral is sized by the job's terms (collateral_ratio_bps and
	// the penalty rates it backs), not by a params change since its creation.
	params = job.Terms.Under(params)
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if job.State != types.JobState_JOB_STATE_OPEN || h > job.CommitEnd {
		return types.ErrCommitWindowClosed.Wrapf("job %d is %s at height %d; its commit phase ends at height %d", job.Id, job.State, h, job.CommitEnd)
	}
	if addr == job.Requester {
		return types.ErrOwnBid.Wrapf("job %d", job.Id)
	}
	p, err := k.GetProvider(ctx, addr)
	if err != nil {
		return err
	}
	if err := checkBidder(job, p); err != nil {
		return err
	}
	key := collections.Join(job.Id, addr)
	if has, err := k.BidCommits.Has(ctx, key); err != nil {
		return err
	} else if has {
		return types.ErrBidExists.Wrapf("job %d, provider %s", job.Id, addr)
	}
	if job.CommitCount == math.MaxUint32 {
		return types.ErrTooManyBids.Wrapf("job %d has %d commitments", job.Id, job.CommitCount)
	}
	collateral, priceCollateral, err := k.postCollateral(ctx, provider, p, params, job)
	if err != nil {
		return err
	}
	old := p
	p.Locked = p.Locked.Add(collateral)
	p.Obligations++
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	c := types.BidCommit{
		JobId: job.Id, Provider: addr, Commitment: commitment, Deposit: collateral, Order: job.CommitCount, Height: h,
		PriceCollateral: priceCollateral,
	}
	if err := k.BidCommits.Set(ctx, key, c); err != nil {
		return err
	}
	job.CommitCount++
	if err := k.saveJob(ctx, job.State, job); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventBidCommitted{
		JobId: job.Id, Provider: addr, Deposit: sdk.NewCoins(collateral, priceCollateral).String(),
	})
}

// postCollateral checks and takes what provider p's commitment on job puts
// up (types.Params.BidCollateral): the lock from its free bond (the caller
// records it), and for a job priced in a denom other than the bond denom the
// price collateral, moved from its account into the module here. A bond in
// another denom or too little free bond or balance is ErrInsufficientCollateral.
func (k Keeper) postCollateral(ctx context.Context, provider sdk.AccAddress, p types.Provider, params types.Params, job types.Job) (lock, price sdk.Coin, err error) {
	lock, price = params.BidCollateral(job)
	if p.Bond.Denom != lock.Denom || p.Bond.Sub(p.Locked).IsLT(lock) {
		return lock, price, types.ErrInsufficientCollateral.Wrapf("free bond %s, collateral %s", p.Bond.Sub(p.Locked), lock)
	}
	if !price.IsPositive() {
		return lock, price, nil
	}
	if have := modkit.Spendable(ctx, k.BankKeeper, provider, price.Denom); have.LT(price.Amount) {
		return lock, price, types.ErrInsufficientCollateral.Wrapf("job %d is priced in %s: collateral %s from the account, which has %s%s",
			job.Id, price.Denom, price, have, price.Denom)
	}
	return lock, price, modkit.ToModule(ctx, k.BankKeeper, k.addressCodec, provider, types.ModuleName, sdk.NewCoins(price))
}

// checkBidder checks that provider p may bid on job: ACTIVE, with an endpoint a sidecar can fetch its chunks from (a provider
// registered before endpoints were checked may have none), and with the
// hardware the job asks for.
func checkBidder(job types.Job, p types.Provider) error {
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		return types.ErrProviderNotActive.Wrapf("provider %s is %s", p.Address, p.Status)
	}
	if err := types.ValidateEndpoint(p.Endpoint); err != nil {
		return errorsmod.Wrapf(err, "provider %s cannot be assigned jobs until it sets one (update-provider)", p.Address)
	}
	if !p.Hardware.Meets(job.MinHardware, job.Workload.Kind) {
		return types.ErrHardwareMismatch.Wrapf("job %d needs %s for %s", job.Id, job.MinHardware.String(), job.Workload.Kind)
	}
	return nil
}

// RevealBid opens provider's commitment on a job during the reveal phase
// with the price and salt it committed to. The phase is by height:
// commit_end < h ≤ reveal_end, whatever the stored state (a job whose
// commit-end entry waits in a queue backlog is still OPEN), so that no
// backlog can close a reveal window early.
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
	case !job.State.InAuction():
		return types.ErrRevealWindowClosed.Wrapf("job %d is %s; the reveal window ended at height %d", job.Id, job.State, job.RevealEnd)
	case h <= job.CommitEnd:
		return types.ErrWrongState.Wrapf("job %d: the reveal phase starts after height %d", job.Id, job.CommitEnd)
	case h > job.RevealEnd:
		return types.ErrRevealWindowClosed.Wrapf("job %d: the reveal window ended at height %d", job.Id, job.RevealEnd)
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
	return modkit.EmitTypedEvent(ctx, &types.EventBidRevealed{JobId: job.Id, Provider: addr, Price: price.String()})
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

// award assigns the job to the winning commitment at the clearing price: its
// collateral stays locked, its execution deadline is queued, and it gets
// access to the dataset version the job pinned — which makes the dataset fee
// the owner's (dataset_fee_owed), paid when the job closes: a requester that
// runs its own provider cannot read the data and then take the fee back by
// letting the job time out.
func (k Keeper) award(ctx context.Context, job types.Job, win types.BidCommit, clearing sdk.Coin) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	from := job.State
	job.State = types.JobState_JOB_STATE_ASSIGNED
	job.Winner = win.Provider
	job.ClearingPrice = clearing
	job.WinnerCollateral = win.Deposit
	job.WinnerPriceCollateral = win.PriceCollateral
	job.ExecDeadline = sdkCtx.BlockHeight() + int64(job.ExecBlocks)
	grant := job.DatasetId != 0 && k.DatasetKeeper != nil
	job.DatasetFeeOwed = grant
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	if err := k.ExecDeadlineQueue.Set(ctx, pair(job.ExecDeadline, job.Id)); err != nil {
		return err
	}
	if grant {
		if err := k.DatasetKeeper.GrantJobAccessVersion(ctx, job.DatasetId, job.Id, job.DatasetVersion, job.Winner); err != nil {
			return err
		}
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventJobAwarded{
		JobId: job.Id, Winner: job.Winner, ClearingPrice: clearing.String(), ExecDeadline: job.ExecDeadline,
	})
}
