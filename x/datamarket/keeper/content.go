package keeper

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

// A file belongs to the first dataset that lists it. ListDataset and
// UpdateDataset refuse content that any version of another dataset holds,
// whoever owns it, by any of its three digests: the Merkle root, the
// sha256, and the sha256 of its rows alone (rows_sha256, which neither the
// chunking nor the .npy header changes: a licensee re-chunking and
// re-framing the owner's rows got two new digests past the first two,
// TestAttackRechunkedCopyListsOwnersRowsAsCopiersDataset). No one can pass
// off another owner's file as theirs, sell it, or name it in a dataset id
// that a dataserver would serve it under. The owner of a file may publish
// it again only as a new version of the same dataset. The checks read by
// key (ContentRoots, ContentShas, RowsShas), never an iterator.

// content is a version's digests. rows is empty only for a version listed
// before the rows key, which files none.
type content struct {
	root      []byte
	sha, rows string
}

// digest is one of a content's digests: where it is filed, and the
// commitment that claims it (types.RootCommitment and RootKey, ...).
type digest struct {
	what   string
	value  string
	find   func(context.Context) (uint64, error)
	key    []byte
	commit func(owner sdk.AccAddress) []byte
}

// digests lists c's digests, the rows' only when c has them.
func (k Keeper) digests(c content) []digest {
	ds := []digest{
		{"content_root", fmt.Sprintf("%X", c.root), func(ctx context.Context) (uint64, error) { return k.ContentRoots.Get(ctx, c.root) }, types.RootKey(c.root),
			func(o sdk.AccAddress) []byte { return types.RootCommitment(o, c.root) }},
		{"sha256", c.sha, func(ctx context.Context) (uint64, error) { return k.ContentShas.Get(ctx, c.sha) }, types.ShaKey(c.sha),
			func(o sdk.AccAddress) []byte { return types.ShaCommitment(o, c.sha) }},
	}
	if c.rows == "" {
		return ds
	}
	return append(ds, digest{"rows_sha256", c.rows, func(ctx context.Context) (uint64, error) { return k.RowsShas.Get(ctx, c.rows) }, types.RowsKey(c.rows),
		func(o sdk.AccAddress) []byte { return types.RowsCommitment(o, c.rows) }})
}

// claimContent checks a listing's content (checkContent) and takes owner's
// commitment to each of its digests that is new (not already datasetID's:
// useCommitment).
func (k Keeper) claimContent(ctx context.Context, params types.Params, datasetID uint64, owner sdk.AccAddress, c content) error {
	fresh, err := k.checkContent(ctx, datasetID, c)
	if err != nil {
		return err
	}
	return k.useCommitment(ctx, params, owner, fresh)
}

// checkContent refuses a digest of c that a dataset other than datasetID
// (0: a new listing, so any dataset) already holds in any version, and
// returns the digests that are new (not datasetID's already: an earlier
// version's).
func (k Keeper) checkContent(ctx context.Context, datasetID uint64, c content) ([]digest, error) {
	var fresh []digest
	for _, d := range k.digests(c) {
		other, err := d.find(ctx)
		if errors.Is(err, collections.ErrNotFound) {
			fresh = append(fresh, d)
			continue
		}
		if err != nil {
			return nil, err
		}
		if other == datasetID {
			continue
		}
		if datasetID == 0 {
			return nil, errorsmod.Wrapf(types.ErrContentTaken,
				"this %s is dataset %d's; its owner may publish it only as a new version of dataset %d (MsgUpdateDataset)", d.what, other, other)
		}
		return nil, errorsmod.Wrapf(types.ErrContentTaken, "this %s is dataset %d's, not dataset %d's", d.what, other, datasetID)
	}
	return fresh, nil
}

// putVersion stores a dataset version and files its content's root,
// sha256 and rows' sha256 as its dataset's (ContentRoots, ContentShas,
// RowsShas): the content check of
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
	if v.RowsSha256 != "" {
		if err := k.RowsShas.Set(ctx, v.RowsSha256, v.DatasetId); err != nil {
			return err
		}
	}
	return k.ContentShas.Set(ctx, v.Sha256, v.DatasetId)
}

// setContent files the content (root, sha256 and rows' sha256) of
// versions, in any order, as the dataset's that published it first
// (listedBefore), as x/modelregistry's setWeights files weights. Two
// datasets that hold the same file (the second listed it before issue 17's
// rule, on a version-1 store: Migrate4to5, or in a genesis exported from
// such a chain) both keep their versions, licences and access; the file
// stays the first lister's, whose owner may publish it again as a new
// version, and only new listings and versions of it are refused
// (TestAttackCopyListedBeforeIssue17BreaksExportAfterUpgrade).
func (k Keeper) setContent(ctx context.Context, versions []types.DatasetVersion) error {
	roots := make(map[string]types.DatasetVersion, len(versions))
	shas := make(map[string]types.DatasetVersion, len(versions))
	rows := make(map[string]types.DatasetVersion, len(versions))
	first := func(m map[string]types.DatasetVersion, key string, v types.DatasetVersion) {
		if f, ok := m[key]; !ok || listedBefore(v, f) {
			m[key] = v
		}
	}
	for _, v := range versions {
		first(roots, string(v.ContentRoot), v)
		first(shas, v.Sha256, v)
		if v.RowsSha256 != "" {
			first(rows, v.RowsSha256, v)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(roots)) {
		if err := k.ContentRoots.Set(ctx, []byte(r), roots[r].DatasetId); err != nil {
			return errorsmod.Wrapf(err, "content root %x", r)
		}
	}
	for _, f := range []struct {
		what  string
		m     map[string]types.DatasetVersion
		index collections.Map[string, uint64]
	}{{"sha256", shas, k.ContentShas}, {"rows_sha256", rows, k.RowsShas}} {
		for _, key := range slices.Sorted(maps.Keys(f.m)) {
			if err := f.index.Set(ctx, key, f.m[key].DatasetId); err != nil {
				return errorsmod.Wrapf(err, "%s %s", f.what, key)
			}
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
