package keeper

import (
	"context"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
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
	if err := modkit.ToModule(ctx, k.BankKeeper, k.addressCodec, op, types.ModuleName, sdk.NewCoins(bond)); err != nil {
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
		Stats:    types.ProviderStats{Earned: sdk.NewCoins(), CompletedValue: math.ZeroInt(), FailedValue: math.ZeroInt()},
	}
	if err := k.saveProvider(ctx, nil, p); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventProviderRegistered{Provider: p.Address, Bond: p.Bond.String()})
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
		// A slash owed is paid out of the bond first, now (saveProvider
		// collects what is free) or as the live jobs' locks release it: only
		// the rest counts toward min_provider_bond. Counting only what free
		// bond pays now let a fraudster whose bond was all locked unjail
		// without adding any and bid below the floor once the debt was
		// collected (TestAttackFraudsterUnjailsBelowMinBondWhileItsBondIsLocked).
		owed := sdk.NewCoin(p.Bond.Denom, math.MinInt(slashOwed(p).Amount, p.Bond.Amount))
		if left := p.Bond.Sub(owed); left.Denom != params.MinProviderBond.Denom || left.IsLT(params.MinProviderBond) {
			return types.ErrBondTooSmall.Wrapf("bond %s (%s of it owed to a fraud slash) is below min_provider_bond %s: add bond to unjail",
				p.Bond, owed, params.MinProviderBond)
		}
		p.Status = types.ProviderStatus_PROVIDER_STATUS_ACTIVE
		p.JailedUntil = 0
	}
	if adding {
		if err := modkit.ToModule(ctx, k.BankKeeper, k.addressCodec, op, types.ModuleName, sdk.NewCoins(addBond)); err != nil {
			return err
		}
	}
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventProviderUpdated{Provider: p.Address, Bond: p.Bond.String(), Status: p.Status})
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
	// The obligation counter is exact (obligations.go), so this check costs
	// the same however many jobs exist. Once unbonding, a provider can
	// neither bid nor win, so no obligation can arise later; with nothing
	// locked, any slash owed has already taken what bond there was
	// (slash_owed.go), so what returns is free of it.
	if p.Obligations > 0 || p.Locked.IsPositive() {
		return 0, types.ErrProviderBusy.Wrapf("provider %s has %d open commitments or live won jobs (%s locked)",
			p.Address, p.Obligations, p.Locked)
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
	return p.UnbondingEnd, modkit.EmitTypedEvent(ctx, &types.EventProviderUnbonding{Provider: p.Address, UnbondingEnd: p.UnbondingEnd})
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
	return modkit.EmitTypedEvent(ctx, &types.EventProviderUnbonded{Provider: addr, Amount: p.Bond.String()})
}
