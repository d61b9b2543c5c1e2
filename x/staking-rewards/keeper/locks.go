package keeper

import (
	"context"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

func (k Keeper) updateTotals(ctx context.Context, fn func(t *types.Totals)) error {
	t, err := k.GetTotals(ctx)
	if err != nil {
		return err
	}
	fn(&t)
	return k.setTotals(ctx, t)
}

// setTotals stores the totals, refusing negative figures.
func (k Keeper) setTotals(ctx context.Context, t types.Totals) error {
	if t.Locked.IsNegative() || t.Unlocking.IsNegative() || t.Weight.IsNegative() {
		return errorsmod.Wrapf(types.ErrAccounting, "totals would be negative: %v", t)
	}
	return k.Totals.Set(ctx, t)
}

// ownedLock loads a lock and checks its owner.
func (k Keeper) ownedLock(ctx context.Context, owner sdk.AccAddress, id uint64) (types.Lock, error) {
	l, err := k.GetLock(ctx, id)
	if err != nil {
		return types.Lock{}, err
	}
	lockOwner, err := k.addressCodec.StringToBytes(l.Owner)
	if err != nil {
		return types.Lock{}, err
	}
	if !owner.Equals(sdk.AccAddress(lockOwner)) {
		return types.Lock{}, errorsmod.Wrapf(types.ErrNotLockOwner, "lock %d belongs to %s", id, l.Owner)
	}
	return l, nil
}

// CreateLock locks amount from owner for the tier with the given duration.
func (k Keeper) CreateLock(ctx context.Context, owner sdk.AccAddress, amount sdk.Coin, duration time.Duration) (uint64, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	if amount.Denom != params.LockDenom {
		return 0, errorsmod.Wrapf(types.ErrInvalidAmount, "denom %q, only %q can be locked", amount.Denom, params.LockDenom)
	}
	if amount.Amount.LT(params.MinLockAmount) {
		return 0, errorsmod.Wrapf(types.ErrInvalidAmount, "amount %s is below the minimum %s%s", amount, params.MinLockAmount, params.LockDenom)
	}
	tier, ok := params.Tier(duration)
	if !ok {
		return 0, errorsmod.Wrapf(types.ErrUnknownTier, "duration %s", duration)
	}
	weight, err := types.LockWeight(amount.Amount, tier.Multiplier)
	if err != nil {
		return 0, err
	}
	n, err := k.ownerLockCount(ctx, owner)
	if err != nil {
		return 0, err
	}
	if n >= uint64(params.MaxLocksPerOwner) {
		return 0, errorsmod.Wrapf(types.ErrTooManyLocks, "%s has %d locks, the maximum is %d", owner, n, params.MaxLocksPerOwner)
	}
	if spendable := modkit.Spendable(ctx, k.BankKeeper, owner, amount.Denom); spendable.LT(amount.Amount) {
		return 0, errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "spendable %s%s < %s", spendable, amount.Denom, amount)
	}
	// Distribute what reached the pool before this lock existed — or, if no
	// lock has weight, send it to the community pool: it is not this lock's.
	denoms := params.RewardedDenoms()
	totals, index, err := k.syncRewards(ctx, denoms)
	if err != nil {
		return 0, err
	}
	if err := k.releaseBacklog(ctx, totals, denoms); err != nil {
		return 0, err
	}
	if err := modkit.ToModule(ctx, k.BankKeeper, k.addressCodec, owner, types.ModuleName, sdk.NewCoins(amount)); err != nil {
		return 0, errorsmod.Wrapf(err, "lock %s", amount)
	}
	id, err := modkit.NextID(ctx, k.LockSeq, types.ErrIDsExhausted, "lock") // never wraps onto lock 1
	if err != nil {
		return 0, err
	}
	ownerStr, err := k.addressCodec.BytesToString(owner)
	if err != nil {
		return 0, err
	}
	l := types.Lock{
		Id:         id,
		Owner:      ownerStr,
		Amount:     amount,
		Duration:   duration,
		Multiplier: tier.Multiplier,
		StartTime:  sdk.UnwrapSDKContext(ctx).BlockTime(),
		// RewardIndexPaid stays empty: a weighted lock earns through its
		// owner's paid index (OwnerIndexPaid).
		Weight: weight,
		Votes:  params.Votes(duration),
	}
	if err := k.addLock(ctx, owner, l, index, totals); err != nil {
		return 0, err
	}
	return id, modkit.EmitTypedEvent(ctx, &types.EventLock{
		LockId: id, Owner: ownerStr, Amount: amount, Duration: duration,
		Multiplier: tier.Multiplier.String(), Weight: l.Weight.String(),
	})
}

// addLock stores new lock l of owner and adds it to the owner's weight (its
// rewards settled at index first), lock count and governance weight, and to
// the totals.
func (k Keeper) addLock(ctx context.Context, owner sdk.AccAddress, l types.Lock, index sdk.DecCoins, totals types.Totals) error {
	if err := modkit.InsertIndexed(ctx, k.Locks, k.locksRaw, l.Id, l); err != nil { // the id is fresh
		return err
	}
	if err := k.settleOwner(ctx, owner, l.Weight, index); err != nil {
		return err
	}
	if err := k.addOwnerLockCount(ctx, owner, 1); err != nil {
		return err
	}
	if err := k.addVoteWeight(ctx, owner, l.VoteWeight()); err != nil {
		return err
	}
	totals.Locked = totals.Locked.Add(l.Amount.Amount)
	totals.Weight = totals.Weight.Add(l.Weight)
	totals.VoteWeight = totals.VoteWeight.Add(l.VoteWeight())
	totals.LockCount++
	return k.setTotals(ctx, totals)
}

// ExtendLock moves a locked lock to a longer tier; its owner's accrued
// rewards are settled first, at the old weight.
func (k Keeper) ExtendLock(ctx context.Context, owner sdk.AccAddress, id uint64, duration time.Duration) error {
	l, err := k.ownedLock(ctx, owner, id)
	if err != nil {
		return err
	}
	if l.IsUnlocking() {
		return errorsmod.Wrapf(types.ErrAlreadyUnlocking, "lock %d", id)
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	tier, ok := params.Tier(duration)
	if !ok {
		return errorsmod.Wrapf(types.ErrUnknownTier, "duration %s", duration)
	}
	if duration <= l.Duration {
		return errorsmod.Wrapf(types.ErrNotLonger, "lock %d has duration %s, requested %s", id, l.Duration, duration)
	}
	totals, index, err := k.syncRewards(ctx, params.RewardedDenoms())
	if err != nil {
		return err
	}
	oldDuration, oldWeight, oldVote := l.Duration, l.Weight, l.VoteWeight()
	l.Duration = duration
	l.Votes = params.Votes(duration)
	if tier.Multiplier.GT(l.Multiplier) {
		l.Multiplier = tier.Multiplier
	}
	if l.Weight, err = types.LockWeight(l.Amount.Amount, l.Multiplier); err != nil {
		return err
	}
	if err := k.Locks.Set(ctx, id, l); err != nil {
		return err
	}
	delta := l.Weight.Sub(oldWeight)
	// The owner's rewards are settled at the old weight, then it changes.
	if err := k.settleOwner(ctx, owner, delta, index); err != nil {
		return err
	}
	voteDelta := l.VoteWeight().Sub(oldVote)
	if err := k.addVoteWeight(ctx, owner, voteDelta); err != nil {
		return err
	}
	totals.Weight = totals.Weight.Add(delta)
	totals.VoteWeight = totals.VoteWeight.Add(voteDelta)
	if err := k.setTotals(ctx, totals); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventExtendLock{
		LockId: id, Owner: l.Owner, OldDuration: oldDuration, NewDuration: duration,
		Multiplier: l.Multiplier.String(), Weight: l.Weight.String(),
	})
}

// BeginUnlock starts a lock's unlocking period: its owner's accrued rewards
// are settled, the lock's weight drops to zero, and it enters the unlock queue.
func (k Keeper) BeginUnlock(ctx context.Context, owner sdk.AccAddress, id uint64) (time.Time, error) {
	l, err := k.ownedLock(ctx, owner, id)
	if err != nil {
		return time.Time{}, err
	}
	if l.IsUnlocking() {
		return time.Time{}, errorsmod.Wrapf(types.ErrAlreadyUnlocking, "lock %d since %s", id, l.UnlockingSince)
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	if now.IsZero() {
		return time.Time{}, errorsmod.Wrap(types.ErrAccounting, "block time is not set")
	}
	denoms, err := k.RewardedDenoms(ctx)
	if err != nil {
		return time.Time{}, err
	}
	totals, index, err := k.syncRewards(ctx, denoms)
	if err != nil {
		return time.Time{}, err
	}
	oldWeight, oldVote := l.Weight, l.VoteWeight()
	l.RewardIndexPaid = index // settled up to here; it earns no more
	l.Weight = math.ZeroInt()
	l.UnlockingSince = now
	if err := k.Locks.Set(ctx, id, l); err != nil {
		return time.Time{}, err
	}
	unlockTime := l.UnlockTime()
	if err := k.UnlockQueue.Set(ctx, collections.Join(unlockTime, id)); err != nil {
		return time.Time{}, err
	}
	if err := k.settleOwner(ctx, owner, oldWeight.Neg(), index); err != nil {
		return time.Time{}, err
	}
	if err := k.addVoteWeight(ctx, owner, oldVote.Neg()); err != nil {
		return time.Time{}, err
	}
	totals.Weight = totals.Weight.Sub(oldWeight)
	totals.VoteWeight = totals.VoteWeight.Sub(oldVote)
	totals.Locked = totals.Locked.Sub(l.Amount.Amount)
	totals.Unlocking = totals.Unlocking.Add(l.Amount.Amount)
	if err := k.setTotals(ctx, totals); err != nil {
		return time.Time{}, err
	}
	return unlockTime, modkit.EmitTypedEvent(ctx, &types.EventBeginUnlock{
		LockId: id, Owner: l.Owner, UnlockTime: unlockTime,
	})
}

// Withdraw returns an unlocked lock's tokens to its owner once its duration
// has passed since BeginUnlock.
func (k Keeper) Withdraw(ctx context.Context, owner sdk.AccAddress, id uint64) (sdk.Coin, error) {
	l, err := k.ownedLock(ctx, owner, id)
	if err != nil {
		return sdk.Coin{}, err
	}
	if !l.IsUnlocking() {
		return sdk.Coin{}, errorsmod.Wrapf(types.ErrNotUnlocking, "lock %d: send MsgBeginUnlock first", id)
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	if now.Before(l.UnlockTime()) {
		return sdk.Coin{}, errorsmod.Wrapf(types.ErrNotMatured, "lock %d unlocks at %s (now %s)", id, l.UnlockTime().UTC(), now.UTC())
	}
	return l.Amount, k.withdraw(ctx, l, owner, false)
}

// withdraw removes an unlocking lock and pays its tokens back.
func (k Keeper) withdraw(ctx context.Context, l types.Lock, owner sdk.AccAddress, automatic bool) error {
	if err := k.UnlockQueue.Remove(ctx, collections.Join(l.UnlockTime(), l.Id)); err != nil {
		return err
	}
	if err := k.Locks.Remove(ctx, l.Id); err != nil {
		return err
	}
	if err := k.addOwnerLockCount(ctx, owner, -1); err != nil {
		return err
	}
	if err := k.updateTotals(ctx, func(t *types.Totals) {
		t.Unlocking = t.Unlocking.Sub(l.Amount.Amount)
		t.LockCount--
	}); err != nil {
		return err
	}
	if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, owner, sdk.NewCoins(l.Amount)); err != nil {
		return errorsmod.Wrapf(err, "return lock %d's %s to %s", l.Id, l.Amount, l.Owner)
	}
	return modkit.EmitTypedEvent(ctx, &types.EventWithdraw{
		LockId: l.Id, Owner: l.Owner, Amount: l.Amount, Automatic: automatic,
	})
}
