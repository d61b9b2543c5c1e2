package keeper

import (
	"context"
	"errors"
	"maps"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

// A file belongs to the first dataset that lists it. ListDataset and
// UpdateDataset refuse content (a Merkle root or a sha256) that any version
// of another dataset holds, whoever owns it: no one can pass off another
// owner's file as theirs, sell it, or name it in a dataset id that a
// dataserver would serve it under. The owner of a file may publish it again
// only as a new version of the same dataset. Both checks read by key
// (ContentRoots, ContentShas), never an iterator.

// claimContent checks a listing's content (checkContent) and takes owner's
// commitment to each of its digests that is new (not already datasetID's:
// useCommitment).
func (k Keeper) claimContent(ctx context.Context, params types.Params, datasetID uint64, owner sdk.AccAddress, root []byte, sha string) error {
	rootHeld, shaHeld, err := k.checkContent(ctx, datasetID, root, sha)
	if err != nil || rootHeld && shaHeld {
		return err
	}
	return k.useCommitment(ctx, params, owner, root, sha, !rootHeld, !shaHeld)
}

// checkContent refuses a content root or sha256 that a dataset other than
// datasetID (0: a new listing, so any dataset) already holds in any version;
// rootHeld and shaHeld tell which are datasetID's already (an earlier
// version's).
func (k Keeper) checkContent(ctx context.Context, datasetID uint64, root []byte, sha string) (rootHeld, shaHeld bool, err error) {
	mine := [2]bool{}
	for i, c := range []struct {
		what string
		find func() (uint64, error)
	}{
		{"content_root", func() (uint64, error) { return k.ContentRoots.Get(ctx, root) }},
		{"sha256", func() (uint64, error) { return k.ContentShas.Get(ctx, sha) }},
	} {
		other, err := c.find()
		if errors.Is(err, collections.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, false, err
		}
		if other == datasetID {
			mine[i] = true
			continue
		}
		if datasetID == 0 {
			return false, false, errorsmod.Wrapf(types.ErrContentTaken,
				"this %s is dataset %d's; its owner may publish it only as a new version of dataset %d (MsgUpdateDataset)", c.what, other, other)
		}
		return false, false, errorsmod.Wrapf(types.ErrContentTaken, "this %s is dataset %d's, not dataset %d's", c.what, other, datasetID)
	}
	return mine[0], mine[1], nil
}

// putVersion stores a dataset version and files its content's root and
// sha256 as its dataset's (ContentRoots, ContentShas): the content check of
// a listing or a new version reads them by key, where a Multi index's
// MatchExact opened two iterators a listing, each scanning the block's
// writes to the store (TestAttackListingFloodOpensTwoIteratorsPerListing).
// Only ListDataset and UpdateDataset call it, after checkContent: an entry
// it overwrites is already this dataset's. Genesis and the migration file
// content with setContent.
func (k Keeper) putVersion(ctx context.Context, v types.DatasetVersion) error {
	if err := k.DatasetVersions.Set(ctx, collections.Join(v.DatasetId, v.Version), v); err != nil {
		return err
	}
	if err := k.ContentRoots.Set(ctx, v.ContentRoot, v.DatasetId); err != nil {
		return err
	}
	return k.ContentShas.Set(ctx, v.Sha256, v.DatasetId)
}

// setContent files the content (root and sha256) of versions, in any order,
// as the dataset's that published it first (listedBefore), as x/modelregistry's
// setWeights files weights. Two datasets that hold the same file (the
// second listed it before issue 17's rule, on a version-1 store: Migrate4to5,
// or in a genesis exported from such a chain) both keep their versions,
// licences and access; the file stays the first lister's, whose owner may
// publish it again as a new version, and only new listings and versions of
// it are refused (TestAttackCopyListedBeforeIssue17BreaksExportAfterUpgrade).
func (k Keeper) setContent(ctx context.Context, versions []types.DatasetVersion) error {
	roots := make(map[string]types.DatasetVersion, len(versions))
	shas := make(map[string]types.DatasetVersion, len(versions))
	for _, v := range versions {
		if first, ok := roots[string(v.ContentRoot)]; !ok || listedBefore(v, first) {
			roots[string(v.ContentRoot)] = v
		}
		if first, ok := shas[v.Sha256]; !ok || listedBefore(v, first) {
			shas[v.Sha256] = v
		}
	}
	for _, r := range slices.Sorted(maps.Keys(roots)) {
		if err := k.ContentRoots.Set(ctx, []byte(r), roots[r].DatasetId); err != nil {
			return errorsmod.Wrapf(err, "content root %x", r)
		}
	}
	for _, sha := range slices.Sorted(maps.Keys(shas)) {
		if err := k.ContentShas.Set(ctx, sha, shas[sha].DatasetId); err != nil {
			return errorsmod.Wrapf(err, "sha256 %s", sha)
		}
	}
	return nil
}

// listedBefore reports whether version a was published before version b:
// at an earlier height (a zero-height export shifts every height below 1,
// keeping their order), or at the same height by the dataset of the lower
// id. The lowest id
// alone gave a file to a copier whose older dataset published it as a new
// version after the owner listed it
// (TestAttackOlderDatasetCopiesALaterListingAsANewVersion).
func listedBefore(a, b types.DatasetVersion) bool {
	if a.Height != b.Height {
		return a.Height < b.Height
	}
	return a.DatasetId < b.DatasetId
}
