package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// RegisterProvider registers op as a new provider with a description and
// moves its bond into the module.
func (k Keeper) RegisterProvider(ctx context.Context, op sdk.AccAddress, moniker, endpoint string, hw types.Hardware, bond sdk.Coin) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	addr, err := k.addrString(op)
	if err != nil {
		return err
	}
	if has, err := k.Providers.Has(ctx, addr); err != nil {
		return err
	} else if has {
		return types.ErrProviderExists.Wrapf("provider %s", addr)
	}
	if bond.Denom != params.MinProviderBond.Denom || bond.IsLT(params.MinProviderBond) {
		return types.ErrBondTooSmall.Wrapf("bond %s, min_provider_bond %s", bond, params.MinProviderBond)
	}
	if err := k.BankKeeper.SendCoinsFromAccountToModule(ctx, op, types.ModuleName, sdk.NewCoins(bond)); err != nil {
		return err
	}
	p := types.Provider{
		Address:  addr,
		Moniker:  moniker,
		Endpoint: endpoint,
		Hardware: hw,
		Bond:     bond,
		Locked:   zeroCoin(bond.Denom),
		Status:   types.ProviderStatus_PROVIDER_STATUS_ACTIVE,
		Stats:    types.ProviderStats{Earned: sdk.NewCoins()},
	}
	if err := k.saveProvider(ctx, nil, p); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventProviderRegistered{Provider: p.Address, Bond: p.Bond.String()})
}

// UpdateProvider changes a provider's description, adds addBond (if
// positive) to its bond, and unjails it once its jail time is over and its
// bond is at least min_provider_bond.
func (k Keeper) UpdateProvider(ctx context.Context, op sdk.AccAddress, moniker, endpoint string, hw types.Hardware, addBond sdk.Coin) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	addr, err := k.addrString(op)
	if err != nil {
		return err
	}
	p, err := k.GetProvider(ctx, addr)
	if err != nil {
		return err
	}
	if p.Status == types.ProviderStatus_PROVIDER_STATUS_UNBONDING {
		return types.ErrProviderNotActive.Wrapf("provider %s is unbonding", p.Address)
	}
	old := p
	adding := !addBond.IsNil() && addBond.IsPositive()
	if adding {
		if addBond.Denom != p.Bond.Denom {
			return types.ErrInvalidPrice.Wrapf("add_bond denom %s, bond denom %s", addBond.Denom, p.Bond.Denom)
		}
	}
	p.Moniker, p.Endpoint, p.Hardware = moniker, endpoint, hw
	if adding {
		p.Bond = p.Bond.Add(addBond)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if p.Status == types.ProviderStatus_PROVIDER_STATUS_JAILED && h >= p.JailedUntil {
		if p.Bond.Denom != params.MinProviderBond.Denom || p.Bond.IsLT(params.MinProviderBond) {
			return types.ErrBondTooSmall.Wrapf("bond %s is below min_provider_bond %s: add bond to unjail", p.Bond, params.MinProviderBond)
		}
		p.Status = types.ProviderStatus_PROVIDER_STATUS_ACTIVE
		p.JailedUntil = 0
	}
	if adding {
		if err := k.BankKeeper.SendCoinsFromAccountToModule(ctx, op, types.ModuleName, sdk.NewCoins(addBond)); err != nil {
			return err
		}
	}
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventProviderUpdated{Provider: p.Address, Bond: p.Bond.String(), Status: p.Status})
}

// UnbondProvider starts the unbonding of a provider without locked
// collateral and returns the height at which its bond returns.
func (k Keeper) UnbondProvider(ctx context.Context, op sdk.AccAddress) (int64, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	addr, err := k.addrString(op)
	if err != nil {
		return 0, err
	}
	p, err := k.GetProvider(ctx, addr)
	if err != nil {
		return 0, err
	}
	if p.Status == types.ProviderStatus_PROVIDER_STATUS_UNBONDING {
		return 0, types.ErrProviderNotActive.Wrapf("provider %s is already unbonding", p.Address)
	}
	if p.Locked.IsPositive() {
		return 0, types.ErrProviderBusy.Wrapf("%s locked by open bids or live jobs", p.Locked)
	}
	if p.Stats.Slashed > 0 {
		// A slash caps the lock at the remaining bond, so a slashed
		// provider's lock may be zero while it still has commitments in
		// auction or a won job that has not ended: check those directly.
		// Once unbonding, it can neither bid nor win, so none can arise later.
		if what, busy, err := k.liveObligation(ctx, p.Address); err != nil {
			return 0, err
		} else if busy {
			return 0, types.ErrProviderBusy.Wrapf("provider %s still has %s", p.Address, what)
		}
	}
	old := p
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	p.Status = types.ProviderStatus_PROVIDER_STATUS_UNBONDING
	p.UnbondingEnd = h + int64(params.UnbondingBlocks)
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return 0, err
	}
	if err := k.UnbondingQueue.Set(ctx, pairS(p.UnbondingEnd, p.Address)); err != nil {
		return 0, err
	}
	return p.UnbondingEnd, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventProviderUnbonding{Provider: p.Address, UnbondingEnd: p.UnbondingEnd})
}

// liveObligation reports whether addr has a commitment on a job still in
// auction (OPEN or REVEAL) or is the winner of a job that has not ended
// (ASSIGNED, SUBMITTED or VERIFYING), and which. It reads the by-state index
// of the jobs in auction (one commitment lookup each) and the provider's won
// jobs through the by-provider index; UnbondProvider calls it only for a
// provider whose lock is zero after a slash.
func (k Keeper) liveObligation(ctx context.Context, addr string) (string, bool, error) {
	for _, st := range []types.JobState{types.JobState_JOB_STATE_OPEN, types.JobState_JOB_STATE_REVEAL} {
		var found string
		err := k.jobsByState.Walk(ctx, collections.NewPrefixedPairRange[int32, uint64](int32(st)),
			func(key collections.Pair[int32, uint64]) (bool, error) {
				has, err := k.BidCommits.Has(ctx, collections.Join(key.K2(), addr))
				if has {
					found = fmt.Sprintf("a commitment on job %d (%s)", key.K2(), st)
				}
				return has, err
			})
		if err != nil || found != "" {
			return found, found != "", err
		}
	}
	var found string
	err := k.jobsByProvider.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](addr),
		func(key collections.Pair[string, uint64]) (bool, error) {
			j, err := k.Jobs.Get(ctx, key.K2())
			if err != nil {
				return true, err
			}
			if holdsWinnerCollateral(j.State) {
				found = fmt.Sprintf("won job %d (%s)", j.Id, j.State)
				return true, nil
			}
			return false, nil
		})
	return found, found != "", err
}

// completeUnbonding returns an unbonding provider's bond and deletes it.
func (k Keeper) completeUnbonding(ctx context.Context, addr string) error {
	p, err := k.Providers.Get(ctx, addr)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_UNBONDING {
		return nil
	}
	if early, err := filedEarly(ctx, k.UnbondingQueue, p.UnbondingEnd, p.UnbondingEnd, addr); err != nil || early {
		return err
	}
	if p.Bond.IsPositive() {
		op, err := k.accAddress("provider", addr)
		if err != nil {
			return err
		}
		if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, op, sdk.NewCoins(p.Bond)); err != nil {
			return err
		}
	}
	if err := k.removeProvider(ctx, p); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventProviderUnbonded{Provider: addr, Amount: p.Bond.String()})
}

// SampleRateBps is the provider's sampling rate in basis points: the floor
// for a clean record, 100% within jail_blocks × recent_slash_window_multiplier
// blocks of a slash, and otherwise
// floor + (10000 − floor) × bad / (bad + completed + 1) with bad = failed + 2 × slashed.
func SampleRateBps(p types.Provider, params types.Params, height int64) uint32 {
	const full = 10_000
	floor := uint64(params.SampleRateFloorBps)
	if p.Stats.LastSlashHeight > 0 {
		window := params.JailBlocks * params.RecentSlashWindowMultiplier
		if height-p.Stats.LastSlashHeight < int64(window) {
			return full
		}
	}
	bad := p.Stats.Failed + 2*p.Stats.Slashed
	if bad == 0 {
		return uint32(floor)
	}
	rate := floor + (full-floor)*bad/(bad+p.Stats.Completed+1)
	if rate > full {
		rate = full
	}
	return uint32(rate)
}
