package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// RebaseExpiry maps a licence's expires_height the same way, except that an
// expiry at or before the export becomes 1 rather than 0 (which means
// "never"): the licence grants no access from the new chain's first block
// on, and if the EndBlocker had not marked it expired yet (the per-block cap
// carried it over) block 1 does. 0 stays 0. A licence still running keeps
// exactly the blocks it had left: it is valid at new height n iff it was at
// old height exportHeight + n.
func RebaseExpiry(expires, exportHeight int64) int64 {
	if expires == 0 {
		return 0
	}
	return max(common.RebaseHeight(expires, exportHeight), 1)
}

// PrepareForZeroHeight rebases every height the module stores for a
// zero-height export (`aichaind export --for-zero-height`), with ctx's height
// as the export height; app.prepForZeroHeightGenesis calls it before the
// genesis is written:
//   - licences: expires_height with RebaseExpiry (their LiveLicenses entries
//     refiled under it), purchased_height (history) with common.RebaseHeight;
//   - the expiry queue: every (expires_height, licence id) key with
//     RebaseExpiry, so that each key still equals its licence's expiry;
//   - content commitments: their height less the export's, their expiry
//     rebased (modkit.Commitments.Rebase);
//   - datasets' created_height and updated_height, versions' height and job
//     accesses' granted_height (history) with common.RebaseHeight, so all become 0:
//     nothing reads them but explorers.
//
// No coins move and no access changes at any height of the new chain that
// it would not have at the corresponding old height.
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	exportHeight := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if exportHeight <= 0 {
		return nil // already at genesis: nothing to rebase
	}
	hist := func(h int64) int64 { return common.RebaseHeight(h, exportHeight) }

	licenses, err := iterValues(k.Licenses.Iterate(ctx, nil))
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: licences")
	}
	for _, l := range licenses {
		// LiveLicenses files a licence under its expiry: refiled under the new one.
		if err := k.unfileLive(ctx, l); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: licence %d", l.Id)
		}
		l.ExpiresHeight = RebaseExpiry(l.ExpiresHeight, exportHeight)
		l.PurchasedHeight = hist(l.PurchasedHeight)
		if err := k.Licenses.Set(ctx, l.Id, l); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: licence %d", l.Id)
		}
		if err := k.fileLive(ctx, l); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: licence %d", l.Id)
		}
	}

	qit, err := k.ExpiryQueue.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: expiry queue")
	}
	queued, err := qit.Keys()
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: expiry queue")
	}
	if err := k.ExpiryQueue.Clear(ctx, nil); err != nil {
		return errorsmod.Wrap(err, "zero-height export: expiry queue")
	}
	for _, key := range queued {
		if err := k.ExpiryQueue.Set(ctx, collections.Join(RebaseExpiry(key.K1(), exportHeight), key.K2())); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: expiry of licence %d", key.K2())
		}
	}

	datasets, err := iterValues(k.Datasets.Iterate(ctx, nil))
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: datasets")
	}
	for _, d := range datasets {
		d.CreatedHeight, d.UpdatedHeight = hist(d.CreatedHeight), hist(d.UpdatedHeight)
		if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: dataset %d", d.Id)
		}
	}
	if err := k.shiftVersionHeights(ctx, exportHeight); err != nil {
		return err
	}
	if err := k.ContentCommits.Rebase(ctx, exportHeight); err != nil {
		return errorsmod.Wrap(err, "zero-height export: content commitments")
	}
	accesses, err := iterValues(k.JobAccess.Iterate(ctx, nil))
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: job accesses")
	}
	for _, a := range accesses {
		a.GrantedHeight = hist(a.GrantedHeight)
		if err := k.JobAccess.Set(ctx, collections.Join(a.DatasetId, a.JobId), a); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: job %d access to dataset %d", a.JobId, a.DatasetId)
		}
	}
	k.Logger(ctx).Info("heights rebased for a zero-height genesis", "export_height", exportHeight)
	return nil
}

// shiftVersionHeights shifts every version's height by the export's,
// not to 0: a version's height only orders publications (listedBefore: the
// file goes to its first lister when InitGenesis files the content again,
// ContentRoots and ContentShas not being exported). At 0 every version
// tied, the lowest dataset id won, and a copier whose older dataset had
// published another owner's file before the content rule got it back
// (TestAttackZeroHeightRestartGivesOwnersFileToOlderCopier). Heights at or
// before the export become 0 or below, in their order.
func (k Keeper) shiftVersionHeights(ctx context.Context, exportHeight int64) error {
	versions, err := iterValues(k.DatasetVersions.Iterate(ctx, nil))
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: dataset versions")
	}
	for _, v := range versions {
		v.Height -= exportHeight
		if err := k.DatasetVersions.Set(ctx, collections.Join(v.DatasetId, v.Version), v); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: dataset %d version %d", v.DatasetId, v.Version)
		}
	}
	return nil
}

// iterValues reads (and closes) an iterator's values.
func iterValues[K, V any](it collections.Iterator[K, V], err error) ([]V, error) {
	if err != nil {
		return nil, err
	}
	return it.Values()
}
