package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/x/datamarket/types"
)

// A file belongs to the first dataset that lists it. ListDataset and
// UpdateDataset refuse content (a Merkle root or a sha256) that any version
// of another dataset holds, whoever owns it: no one can pass off another
// owner's file as theirs, sell it, or name it in a dataset id that a
// dataserver would serve it under. The owner of a file may publish it again
// only as a new version of the same dataset. Both checks read one entry of
// an index (VersionIndexes), never a scan.

// checkContent refuses a content root or sha256 that a dataset other than
// datasetID (0: a new listing, so any dataset) already holds in any version.
func (k Keeper) checkContent(ctx context.Context, datasetID uint64, root []byte, sha string) error {
	for _, c := range []struct {
		what string
		find func() (uint64, bool, error)
	}{
		{"content_root", func() (uint64, bool, error) { return holder(ctx, k.DatasetVersions.Indexes.ByRoot, root) }},
		{"sha256", func() (uint64, bool, error) { return holder(ctx, k.DatasetVersions.Indexes.BySha256, sha) }},
	} {
		other, found, err := c.find()
		if err != nil {
			return err
		}
		if !found || other == datasetID {
			continue
		}
		if datasetID == 0 {
			return errorsmod.Wrapf(types.ErrContentTaken,
				"this %s is dataset %d's; its owner may publish it only as a new version of dataset %d (MsgUpdateDataset)", c.what, other, other)
		}
		return errorsmod.Wrapf(types.ErrContentTaken, "this %s is dataset %d's, not dataset %d's", c.what, other, datasetID)
	}
	return nil
}

// holder returns the dataset whose versions hold ref in idx (all entries
// under one ref are of one dataset), and whether there is one.
func holder[R any](ctx context.Context, idx *indexes.Multi[R, collections.Pair[uint64, uint64], types.DatasetVersion], ref R) (uint64, bool, error) {
	it, err := idx.MatchExact(ctx, ref)
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.Valid() {
		return 0, false, nil
	}
	pk, err := it.PrimaryKey()
	if err != nil {
		return 0, false, err
	}
	return pk.K1(), true, nil
}
