package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// InitGenesis writes the genesis state and derives from it the totals, the
// owner weights and lock counts, the unlock queue and the accounted rewards.
// It checks that the module account holds at least the locked coins and the
// reward pool at least the accounted rewards.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.checkLockDenom(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.LockSeq.Set(ctx, gs.NextLockId); err != nil {
		return err
	}
	if err := k.RewardIndex.Set(ctx, types.DecBalance{Coins: gs.RewardIndex}); err != nil {
		return err
	}
	k.AccountKeeper.GetModuleAccount(ctx, types.ModuleName) // creates it if missing
	// Pending first: initLocks settles into it.
	accounted := sdk.DecCoins{}
	for _, p := range gs.Pending {
		owner, err := k.addressCodec.StringToBytes(p.Owner)
		if err != nil {
			return err
		}
		if err := k.Pending.Set(ctx, owner, types.DecBalance{Coins: p.Rewards}); err != nil {
			return err
		}
		accounted = accounted.Add(p.Rewards...)
	}
	totals, held, owed, err := k.initLocks(ctx, gs)
	if err != nil {
		return err
	}
	accounted = accounted.Add(owed...)
	if err := k.Totals.Set(ctx, totals); err != nil {
		return err
	}
	if err := k.Accounted.Set(ctx, types.DecBalance{Coins: accounted}); err != nil {
		return err
	}
	moduleBalance := k.BankKeeper.GetAllBalances(ctx, k.AccountKeeper.GetModuleAddress(types.ModuleName))
	if !moduleBalance.IsAllGTE(held) {
		return errorsmod.Wrapf(types.ErrInvalidGenesis, "module account holds %s, locks hold %s", moduleBalance, held)
	}
	pool := sdk.NewDecCoinsFromCoins(k.BankKeeper.GetAllBalances(ctx, k.RewardPoolAddress())...)
	if _, neg := pool.SafeSub(accounted); neg {
		return errorsmod.Wrapf(types.ErrInvalidGenesis, "reward pool holds %s, lockers are owed %s", pool, accounted)
	}
	return nil
}

// initLocks writes the locks and derives the totals, the owner weights, lock
// counts and paid indexes and the unlock queue; it returns the totals, the
// coins the locks hold and what the locks owe (Σ weight × (index − paid)).
// An owner's weighted locks that share one paid index (as ExportGenesis
// writes them) give it to the owner; an owner whose locks differ (a genesis
// from the per-lock accounting) is settled at the genesis index: each lock's
// accrual goes to Pending, which changes no one's entitlement.
func (k Keeper) initLocks(ctx context.Context, gs *types.GenesisState) (types.Totals, sdk.Coins, sdk.DecCoins, error) {
	totals := types.Totals{Locked: math.ZeroInt(), Unlocking: math.ZeroInt(), Weight: math.ZeroInt(), VoteWeight: math.ZeroInt()}
	held, owed := sdk.Coins{}, sdk.DecCoins{}
	paid := map[string]sdk.DecCoins{}
	mixed := map[string]bool{}
	for _, l := range gs.Locks {
		if !l.IsUnlocking() && l.Weight.IsPositive() {
			if p, ok := paid[l.Owner]; !ok {
				paid[l.Owner] = l.RewardIndexPaid
			} else if !p.Equal(l.RewardIndexPaid) {
				mixed[l.Owner] = true
			}
		}
	}
	for _, l := range gs.Locks {
		owner, err := k.addressCodec.StringToBytes(l.Owner)
		if err != nil {
			return totals, nil, nil, err
		}
		stored := l
		if !l.IsUnlocking() && l.Weight.IsPositive() {
			stored.RewardIndexPaid = nil // its owner's paid index applies
		}
		if err := k.Locks.Set(ctx, l.Id, stored); err != nil {
			return totals, nil, nil, err
		}
		if err := k.addOwnerLockCount(ctx, owner, 1); err != nil {
			return totals, nil, nil, err
		}
		held = held.Add(l.Amount)
		totals.LockCount++
		if l.IsUnlocking() {
			totals.Unlocking = totals.Unlocking.Add(l.Amount.Amount)
			if err := k.UnlockQueue.Set(ctx, collections.Join(l.UnlockTime(), l.Id)); err != nil {
				return totals, nil, nil, err
			}
			continue
		}
		totals.Locked = totals.Locked.Add(l.Amount.Amount)
		totals.Weight = totals.Weight.Add(l.Weight)
		totals.VoteWeight = totals.VoteWeight.Add(l.VoteWeight())
		if err := k.addVoteWeight(ctx, owner, l.VoteWeight()); err != nil {
			return totals, nil, nil, err
		}
		earned, err := accrued(l, gs.RewardIndex)
		if err != nil {
			return totals, nil, nil, err
		}
		owed = owed.Add(earned...)
		ownerPaid := paid[l.Owner]
		if mixed[l.Owner] {
			ownerPaid = gs.RewardIndex
			if err := k.addPending(ctx, owner, earned); err != nil {
				return totals, nil, nil, err
			}
		}
		if err := k.initOwnerWeight(ctx, owner, l.Weight, ownerPaid); err != nil {
			return totals, nil, nil, err
		}
	}
	return totals, held, owed, nil
}

// initOwnerWeight adds weight to an owner's and sets its paid index.
func (k Keeper) initOwnerWeight(ctx context.Context, owner sdk.AccAddress, weight math.Int, paid sdk.DecCoins) error {
	if !weight.IsPositive() {
		return nil
	}
	w, err := k.OwnerLockWeight(ctx, owner)
	if err != nil {
		return err
	}
	if err := k.OwnerWeight.Set(ctx, owner, w.Add(weight)); err != nil {
		return err
	}
	return k.OwnerIndexPaid.Set(ctx, owner, types.DecBalance{Coins: paid})
}

// withOwnerPaid returns the lock with, if it has weight, its owner's paid
// index as its own: since version 2 a weighted lock's rewards are settled
// with its owner's (OwnerIndexPaid) and its stored index is empty (an
// unlocking lock keeps the index it was settled at when it began unlocking).
func (k Keeper) withOwnerPaid(ctx context.Context, l types.Lock) (types.Lock, error) {
	if l.IsUnlocking() || !l.Weight.IsPositive() {
		return l, nil
	}
	owner, err := k.addressCodec.StringToBytes(l.Owner)
	if err != nil {
		return l, err
	}
	p, err := k.OwnerIndexPaid.Get(ctx, owner)
	if err != nil {
		return l, errorsmod.Wrapf(types.ErrAccounting, "lock %d: owner's paid index: %v", l.Id, err)
	}
	l.RewardIndexPaid = p.Coins
	return l, nil
}

// ExportGenesis returns the state as a genesis.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.LockSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	index, err := k.GetRewardIndex(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params, NextLockId: next, RewardIndex: index}
	if err := k.Locks.Walk(ctx, nil, func(_ uint64, l types.Lock) (bool, error) {
		l, err := k.withOwnerPaid(ctx, l)
		gs.Locks = append(gs.Locks, l)
		return err != nil, err
	}); err != nil {
		return nil, err
	}
	if err := k.Pending.Walk(ctx, nil, func(owner sdk.AccAddress, b types.DecBalance) (bool, error) {
		s, err := k.addressCodec.BytesToString(owner)
		if err != nil {
			return true, err
		}
		gs.Pending = append(gs.Pending, types.PendingReward{Owner: s, Rewards: b.Coins})
		return false, nil
	}); err != nil {
		return nil, err
	}
	return gs, nil
}
