package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// EndBlocker marks due licences expired (capped per block, see
// ExpireLicenses) and prunes expired content commitments (PruneCommits).
func (k Keeper) EndBlocker(ctx context.Context) error {
	if err := k.ExpireLicenses(ctx); err != nil {
		return err
	}
	return k.PruneCommits(ctx)
}

// ExpireLicenses marks the licences whose expiry height has been reached as
// expired, at most max_expiries_per_block of them; the rest carry over to the
// next block. Access itself never depends on this (it compares heights). The
// queue drains with modkit.DrainDue: an entry that fails leaves no trace but
// itself, re-queued at the next height with an EventQueueEntryRetried.
func (k Keeper) ExpireLicenses(ctx context.Context) error {
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	_, err = modkit.DrainDue(ctx, modkit.Drain[int64, uint64]{
		Module: types.ModuleName, Name: expiryQueueName, Queue: k.ExpiryQueue, Handle: k.expireLicense,
	}, h, h+1, int(params.MaxExpiriesPerBlock))
	return err
}

// expireLicense marks one licence expired, and takes it out of
// LiveLicenses, if, by its state, it is due: it
// still exists, is not marked yet, and its expiry height has been reached. A
// licence renewed since it was queued (its expiry is later: it is queued
// again under it) or already marked is left alone, so that a stale or retried
// entry is a no-op.
func (k Keeper) expireLicense(ctx context.Context, id uint64) error {
	l, err := k.Licenses.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if l.Expired || l.ExpiresHeight == 0 || l.ExpiresHeight > sdkCtx.BlockHeight() {
		return nil
	}
	// Out of LiveLicenses: no walk reads it again (a renewal files it anew).
	if err := k.unfileLive(ctx, l); err != nil {
		return err
	}
	l.Expired = true
	if err := k.Licenses.Set(ctx, l.Id, l); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(sdkCtx, &types.EventLicenseExpired{
		LicenseId: l.Id, DatasetId: l.DatasetId, Licensee: l.Licensee,
	})
}
