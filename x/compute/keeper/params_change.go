package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/x/compute/types"
)

// checkBondDenomChange refuses a bond denom other than the stored params'
// while a provider is registered or a job is stored (UpdateParams).
func (k Keeper) checkBondDenomChange(ctx context.Context, denom string) error {
	current, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if current.MinProviderBond.Denom == denom {
		return nil
	}
	for _, has := range []struct {
		what string
		any  func(context.Context) (bool, error)
	}{{"providers are registered", k.anyProvider}, {"jobs are stored", k.anyJob}} {
		found, err := has.any(ctx)
		if err != nil {
			return err
		}
		if found {
			return errorsmod.Wrapf(types.ErrInvalidParams, "the bond denom cannot change from %q to %q while %s",
				current.MinProviderBond.Denom, denom, has.what)
		}
	}
	return nil
}

// anyProvider reports whether a provider is registered (one key read).
func (k Keeper) anyProvider(ctx context.Context) (bool, error) {
	it, err := k.Providers.Iterate(ctx, nil)
	if err != nil {
		return false, err
	}
	defer it.Close()
	return it.Valid(), nil
}

// anyJob reports whether a job is stored (one key read).
func (k Keeper) anyJob(ctx context.Context) (bool, error) {
	it, err := k.Jobs.Iterate(ctx, nil)
	if err != nil {
		return false, err
	}
	defer it.Close()
	return it.Valid(), nil
}
