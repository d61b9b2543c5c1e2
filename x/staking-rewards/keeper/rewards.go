package keeper

import (
	"context"
	"errors"
	"math/big"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// Reward accounting.
//
// The reward pool module account receives fees from other modules at any
// time. The module keeps Accounted, the exact (18-decimal) total it owes
// lockers: Σ over locks of weight × (index − paid index) plus every owner's
// settled Pending balance. Whatever the pool holds above Accounted is new.
//
// SyncRewards (every EndBlock, and before any change of weight or a claim)
// raises the index of each denom by Δ = truncate18(new / total_weight) and
// adds exactly Δ × total_weight (≤ new) to Accounted. Only the rewarded denoms
// (lock_denom and params.reward_denoms, at most 17) are synced, each by a point
// read of the pool's balance: coins of any other denom wait in the pool,
// untouched, until governance lists it. Cost: O(rewarded denoms), independent
// of the number of locks and of the denoms anyone sends to the pool (see
// TestAttackDenomSpamRewardPool).
//
// Dust rule: (1) the part of new that the 18-decimal truncation of Δ drops
// stays unaccounted in the pool and is distributed by a later sync; (2) a claim
// pays the truncation to whole coins of the owner's exact entitlement and
// removes the whole exact entitlement from Accounted, so its fractional part
// also becomes unaccounted and is distributed later to all weight. No coin is
// lost, and none is paid twice: an entitlement is removed from Accounted
// exactly when it is paid. Hence pool balance ≥ Accounted ≥ what all owners
// could claim, always.
//
// No weight, no reward: while total weight is zero, SyncRewards leaves the
// pool alone, and the lock that ends the no-weight period first sends the
// pool's unaccounted coins (whole coins of pool − Accounted) to the
// community pool (x/distribution, releaseBacklog), with an
// EventRewardsToCommunityPool. Otherwise whoever locked first — the minimum,
// even in the same block as the fees — would take every fee paid while no
// one was locked. Lockers still owed (Pending, settled before their weight
// left) keep what Accounted holds.
//
// Likewise for a denom that governance adds to the rewarded denoms: what the
// pool holds of it when the params change (fees paid while it was not
// rewarded) goes to the community pool (UpdateParams, sendUnaccounted), not
// to whoever holds weight at that moment: otherwise anyone could lock just
// before the proposal's known execution and take its share of the whole
// backlog, at the expense of the lockers of the months it accrued.

// SyncRewards distributes the reward pool's unaccounted coins over the current
// total lock weight by raising the reward index.
func (k Keeper) SyncRewards(ctx context.Context) error {
	denoms, err := k.RewardedDenoms(ctx)
	if err != nil {
		return err
	}
	_, _, err = k.syncRewards(ctx, denoms)
	return err
}

// RewardedDenoms are the params' rewarded denoms (Params.RewardedDenoms), sorted.
func (k Keeper) RewardedDenoms(ctx context.Context) ([]string, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return params.RewardedDenoms(), nil
}

// rewardPool is the reward pool's balance of denoms, by point reads (an
// iterator over the pool's balances would cost as many steps as the denoms
// anyone has sent it).
func (k Keeper) rewardPool(ctx context.Context, denoms []string) sdk.Coins {
	pool := k.RewardPoolAddress()
	coins := make(sdk.Coins, 0, len(denoms))
	for _, d := range denoms {
		coins = append(coins, k.BankKeeper.GetBalance(ctx, pool, d))
	}
	return sdk.NewCoins(coins...)
}

// syncRewards is SyncRewards over denoms (the rewarded denoms); it returns
// the totals and the index after the sync, so that its callers do not read
// them again (each read is charged).
func (k Keeper) syncRewards(ctx context.Context, denoms []string) (types.Totals, sdk.DecCoins, error) {
	totals, err := k.GetTotals(ctx)
	if err != nil {
		return totals, nil, err
	}
	index, err := k.GetRewardIndex(ctx)
	if err != nil || !totals.Weight.IsPositive() {
		return totals, index, err
	}
	accounted, err := k.GetAccounted(ctx)
	if err != nil {
		return totals, nil, err
	}
	pool := k.rewardPool(ctx, denoms)
	weight := math.LegacyNewDecFromInt(totals.Weight)
	var distributed, delta sdk.DecCoins
	for _, c := range pool {
		unaccounted := math.LegacyNewDecFromInt(c.Amount).Sub(accounted.AmountOf(c.Denom))
		if !unaccounted.IsPositive() {
			continue
		}
		d := unaccounted.QuoTruncate(weight)
		if !d.IsPositive() {
			continue // too small for one step of the index: stays for later
		}
		if !indexFits(index.AmountOf(c.Denom), d) {
			continue // see indexFits: stays in the pool, undistributed
		}
		delta = append(delta, sdk.NewDecCoinFromDec(c.Denom, d))
		distributed = append(distributed, sdk.NewDecCoinFromDec(c.Denom, d.Mul(weight)))
	}
	if len(delta) == 0 {
		return totals, index, nil
	}
	// pool is sorted by denom, so delta and distributed are too.
	index = index.Add(delta...)
	accounted = accounted.Add(distributed...)
	if err := k.RewardIndex.Set(ctx, types.DecBalance{Coins: index}); err != nil {
		return totals, nil, err
	}
	if err := k.Accounted.Set(ctx, types.DecBalance{Coins: accounted}); err != nil {
		return totals, nil, err
	}
	return totals, index, modkit.EmitTypedEvent(ctx, &types.EventRewardsDistributed{
		Distributed: distributed,
		TotalWeight: totals.Weight.String(),
		RewardIndex: index,
	})
}

// indexFits reports whether a denom's reward index can grow by d and stay
// a decimal (below 2^256), whose arithmetic panics past it: in the
// EndBlocker's sync, a halt of the chain. An index grows by the amount
// distributed per unit of weight and never falls, so a holder of (nearly)
// all the weight who pays the same coins of a listed denom into the pool
// and claims them back, again and again, could drive it there (weight 1,
// 2^255 coins: twice). What a denom's index cannot take waits in the pool,
// undistributed; every owner's accrual stays below the pool's balance, so
// nothing else overflows. TestAttackRecycledRewardsOverflowIndex.
func indexFits(index, d math.LegacyDec) bool {
	sum := new(big.Int).Add(index.BigInt(), d.BigInt())
	return math.LegacyNewDecFromBigIntWithPrec(sum, math.LegacyPrecision).IsInValidRange()
}

// releaseBacklog sends the reward pool's unaccounted whole coins of denoms
// (the rewarded denoms) to the community pool if no lock has weight (totals
// are the current ones): CreateLock calls it before its lock adds weight, so
// that the lock earns only what arrives after it.
func (k Keeper) releaseBacklog(ctx context.Context, totals types.Totals, denoms []string) error {
	if totals.Weight.IsPositive() {
		return nil
	}
	return k.sendUnaccounted(ctx, denoms)
}

// sendUnaccounted sends the reward pool's unaccounted whole coins of denoms
// to the community pool: the backlog of a period in which no one earned
// them (no weight: releaseBacklog; a denom not yet rewarded: UpdateParams).
func (k Keeper) sendUnaccounted(ctx context.Context, denoms []string) error {
	accounted, err := k.GetAccounted(ctx)
	if err != nil {
		return err
	}
	poolAddr := k.RewardPoolAddress()
	var amount sdk.Coins
	for _, c := range k.rewardPool(ctx, denoms) {
		whole := math.LegacyNewDecFromInt(c.Amount).Sub(accounted.AmountOf(c.Denom)).TruncateInt()
		if whole.IsPositive() {
			amount = amount.Add(sdk.NewCoin(c.Denom, whole))
		}
	}
	if amount.IsZero() {
		return nil
	}
	if err := k.DistrKeeper.FundCommunityPool(ctx, amount, poolAddr); err != nil {
		return errorsmod.Wrapf(err, "send %s from the reward pool to the community pool", amount)
	}
	return modkit.EmitTypedEvent(ctx, &types.EventRewardsToCommunityPool{Amount: amount})
}

// accrued is what a lock has earned since its paid index: weight × (index − paid), exact.
// Since version 2 an owner's weighted locks earn through the owner's paid
// index (ownerAccrued); InitGenesis and the migration use this for locks
// that carry their own.
func accrued(l types.Lock, index sdk.DecCoins) (sdk.DecCoins, error) {
	if !l.Weight.IsPositive() {
		return sdk.DecCoins{}, nil
	}
	diff, neg := index.SafeSub(l.RewardIndexPaid)
	if neg {
		return nil, errorsmod.Wrapf(types.ErrAccounting, "lock %d: paid index %s above index %s", l.Id, l.RewardIndexPaid, index)
	}
	return diff.MulDec(math.LegacyNewDecFromInt(l.Weight)), nil
}

// ownerAccrued is what an owner's weight has earned since its paid index:
// OwnerWeight × (index − OwnerIndexPaid), exact. It equals Σ over the
// owner's locks of weight × (index − paid) in the per-lock accounting:
// products of an integer weight and an 18-decimal index are exact, so the
// sum does not depend on how the weight is split. O(1) in the owner's locks.
func (k Keeper) ownerAccrued(ctx context.Context, owner sdk.AccAddress, weight math.Int, index sdk.DecCoins) (sdk.DecCoins, error) {
	if !weight.IsPositive() {
		return sdk.DecCoins{}, nil
	}
	paid, err := k.OwnerIndexPaid.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, errorsmod.Wrapf(types.ErrAccounting, "owner %s has weight %s and no paid index", owner, weight)
	} else if err != nil {
		return nil, err
	}
	diff, neg := index.SafeSub(paid.Coins)
	if neg {
		return nil, errorsmod.Wrapf(types.ErrAccounting, "owner %s: paid index %s above index %s", owner, paid.Coins, index)
	}
	return diff.MulDec(math.LegacyNewDecFromInt(weight)), nil
}

// settleOwner moves what the owner's weight has accrued up to index into its
// Pending balance, sets its paid index to index, and then adds delta to its
// weight (removing weight and paid index when the weight becomes zero). Every
// change of an owner's weight goes through it, and so does a claim (delta
// zero). Accounted does not change: the rewards stay owed, only their place
// changes.
func (k Keeper) settleOwner(ctx context.Context, owner sdk.AccAddress, delta math.Int, index sdk.DecCoins) error {
	w, err := k.OwnerLockWeight(ctx, owner)
	if err != nil {
		return err
	}
	if w.IsZero() && delta.IsZero() {
		return nil
	}
	earned, err := k.ownerAccrued(ctx, owner, w, index)
	if err != nil {
		return err
	}
	if !earned.IsZero() {
		if err := k.addPending(ctx, owner, earned); err != nil {
			return err
		}
	}
	w = w.Add(delta)
	if w.IsNegative() {
		return errorsmod.Wrapf(types.ErrAccounting, "owner %s weight would be negative", owner)
	}
	if w.IsZero() {
		if err := k.OwnerIndexPaid.Remove(ctx, owner); err != nil {
			return err
		}
		return k.OwnerWeight.Remove(ctx, owner)
	}
	if err := k.OwnerIndexPaid.Set(ctx, owner, types.DecBalance{Coins: index}); err != nil {
		return err
	}
	if delta.IsZero() {
		return nil
	}
	return k.OwnerWeight.Set(ctx, owner, w)
}

func (k Keeper) addPending(ctx context.Context, owner sdk.AccAddress, amount sdk.DecCoins) error {
	pending, err := k.GetPending(ctx, owner)
	if err != nil {
		return err
	}
	return k.Pending.Set(ctx, owner, types.DecBalance{Coins: pending.Add(amount...)})
}

// entitlement returns an owner's exact claimable rewards at the current index,
// without changing state. O(1) in the owner's locks.
func (k Keeper) entitlement(ctx context.Context, owner sdk.AccAddress) (sdk.DecCoins, error) {
	index, err := k.GetRewardIndex(ctx)
	if err != nil {
		return nil, err
	}
	e, err := k.entitlementAt(ctx, owner, index)
	return e.total, err
}

// ownerEntitlement is what an owner is owed at an index: its settled
// Pending balance (stored or not) plus what its weight has accrued since its
// paid index.
type ownerEntitlement struct {
	total      sdk.DecCoins
	weight     math.Int
	hasPending bool
}

// entitlementAt is the owner's entitlement at index, read without changing
// state.
func (k Keeper) entitlementAt(ctx context.Context, owner sdk.AccAddress, index sdk.DecCoins) (ownerEntitlement, error) {
	var e ownerEntitlement
	pending, err := k.Pending.Get(ctx, owner)
	switch {
	case err == nil:
		e.total, e.hasPending = pending.Coins, true
	case errors.Is(err, collections.ErrNotFound):
		e.total = sdk.DecCoins{}
	default:
		return e, err
	}
	if e.weight, err = k.OwnerLockWeight(ctx, owner); err != nil {
		return e, err
	}
	earned, err := k.ownerAccrued(ctx, owner, e.weight, index)
	if err != nil {
		return e, err
	}
	e.total = e.total.Add(earned...)
	return e, nil
}

// PendingRewards returns what a claim by owner would pay now, including the
// pool's coins not yet distributed (computed on a discarded cache context).
func (k Keeper) PendingRewards(ctx context.Context, owner sdk.AccAddress) (sdk.Coins, error) {
	cacheCtx, _ := modkit.CacheContext(ctx)
	if err := k.SyncRewards(cacheCtx); err != nil {
		return nil, err
	}
	total, err := k.entitlement(cacheCtx, owner)
	if err != nil {
		return nil, err
	}
	pay, _ := total.TruncateDecimal()
	return pay, nil
}

// ClaimRewards pays the owner's rewards: the truncation to whole coins of
// Pending + OwnerWeight × (index − OwnerIndexPaid). O(1): the same work
// and gas whatever the number of the owner's locks.
// A claim that would pay nothing fails with ErrNoRewards and changes nothing.
func (k Keeper) ClaimRewards(ctx context.Context, owner sdk.AccAddress) (sdk.Coins, error) {
	cacheCtx, write := modkit.CacheContext(ctx)
	paid, err := k.claimRewards(cacheCtx, owner)
	if err != nil {
		return nil, err
	}
	write()
	return paid, nil
}

func (k Keeper) claimRewards(ctx context.Context, owner sdk.AccAddress) (sdk.Coins, error) {
	denoms, err := k.RewardedDenoms(ctx)
	if err != nil {
		return nil, err
	}
	_, index, err := k.syncRewards(ctx, denoms)
	if err != nil {
		return nil, err
	}
	// What settleOwner would move into Pending, the claim pays at once:
	// Pending is neither written nor read back, and removed only if stored.
	e, err := k.entitlementAt(ctx, owner, index)
	if err != nil {
		return nil, err
	}
	total := e.total
	pay, _ := total.TruncateDecimal()
	if pay.IsZero() {
		return nil, errorsmod.Wrapf(types.ErrNoRewards, "owner %s", owner)
	}
	accounted, err := k.GetAccounted(ctx)
	if err != nil {
		return nil, err
	}
	rest, neg := accounted.SafeSub(total)
	if neg {
		return nil, errorsmod.Wrapf(types.ErrAccounting, "claim %s exceeds accounted rewards %s", total, accounted)
	}
	if err := k.Accounted.Set(ctx, types.DecBalance{Coins: rest}); err != nil {
		return nil, err
	}
	if e.weight.IsPositive() {
		// The owner's weight is settled up to index (as settleOwner does).
		if err := k.OwnerIndexPaid.Set(ctx, owner, types.DecBalance{Coins: index}); err != nil {
			return nil, err
		}
	}
	if e.hasPending {
		if err := k.Pending.Remove(ctx, owner); err != nil {
			return nil, err
		}
	}
	if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, common.RewardPoolName, owner, pay); err != nil {
		return nil, errorsmod.Wrapf(err, "pay rewards %s to %s", pay, owner)
	}
	ownerStr, err := k.addressCodec.BytesToString(owner)
	if err != nil {
		return nil, err
	}
	if err := modkit.EmitTypedEvent(ctx, &types.EventClaimRewards{
		Owner: ownerStr, Amount: pay,
	}); err != nil {
		return nil, err
	}
	return pay, nil
}
