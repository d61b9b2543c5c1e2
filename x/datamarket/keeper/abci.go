package keeper

import "context"

// EndBlocker marks due licences expired (capped per block, see ExpireLicenses).
func (k Keeper) EndBlocker(ctx context.Context) error {
	return k.ExpireLicenses(ctx)
}
