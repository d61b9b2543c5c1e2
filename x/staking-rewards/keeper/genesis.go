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
	accounted := sdk.DecCoins{}
	totals := types.Totals{Locked: math.ZeroInt(), Unlocking: math.ZeroInt(), Weight: math.ZeroInt()}
	held := sdk.Coins{}
	for _, l := range gs.Locks {
		owner, err := k.addressCodec.StringToBytes(l.Owner)
		if err != nil {
			return err
		}
		if err := k.Locks.Set(ctx, l.Id, l); err != nil {
			return err
		}
		if err := k.addOwnerLockCount(ctx, owner, 1); err != nil {
			return err
		}
		held = held.Add(l.Amount)
		totals.LockCount++
		if l.IsUnlocking() {
			totals.Unlocking = totals.Unlocking.Add(l.Amount.Amount)
			if err := k.UnlockQueue.Set(ctx, collections.Join(l.UnlockTime(), l.Id)); err != nil {
				return err
			}
			continue
		}
		totals.Locked = totals.Locked.Add(l.Amount.Amount)
		totals.Weight = totals.Weight.Add(l.Weight)
		if err := k.addOwnerWeight(ctx, owner, l.Weight); err != nil {
			return err
		}
		earned, err := accrued(l, gs.RewardIndex)
		if err != nil {
			return err
		}
		accounted = accounted.Add(earned...)
	}
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
		gs.Locks = append(gs.Locks, l)
		return false, nil
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
