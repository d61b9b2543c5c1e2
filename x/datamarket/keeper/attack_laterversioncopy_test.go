package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackOlderDatasetCopiesALaterListingAsANewVersion: on a version-1
// store (before issue 17's content rule) the copier, who listed dataset 1
// (a file of its own) long ago, sees the owner list dataset 2 with file X
// and publishes X as version 2 of its older dataset 1 (the store had no
// content index and took it). The chain upgrades (1→2 … 4→5). setContent
// files a file shared by two datasets as the one of the lowest id, which
// Migrate4to5, genesis and the README call "the first lister's": here it is
// the copier's, whose dataset is older than the copy it made. The owner, the
// first to list X, may no longer publish X as a new version of its own
// dataset 2 (ErrContentTaken), and the copier may. Before the change the
// migration's last write (dataset 2's) kept it the owner's. Honest outcome:
// X stays the first lister's (dataset 2, listed before the copy): the owner
// may publish it again, the copier may not. Now setContent files a shared
// file as the dataset's that published it first: the earliest version
// record's height, then the lowest id (listedBefore).
func TestAttackOlderDatasetCopiesALaterListingAsANewVersion(t *testing.T) {
	s := setup(t)
	copier, owner := s.other.String(), s.owner.String()
	older, id, orig := preRuleCopy(t, s)
	ctx := s.ta.Ctx
	update := func(who string, dataset uint64, root []byte, sha string) (*types.MsgUpdateDatasetResponse, error) {
		return s.ms.UpdateDataset(ctx, versionMsg(who, dataset, root, sha))
	}

	got, err := s.k.ContentRoots.Get(ctx, orig.ContentRoot)
	mustOK(t, err)
	if got != id {
		t.Errorf("after the upgrade file X is dataset %d's (the copier's, which copied it as a later version); want %d, its first lister's", got, id)
	}
	if _, err := update(owner, id, rootOf("owner's v2"), shaOf("owner's v2")); err != nil {
		t.Fatalf("the owner's version 2: %v", err)
	}
	if _, err := update(owner, id, orig.ContentRoot, orig.Sha256); err != nil {
		t.Errorf("the owner, X's first lister, may not publish X again as a new version of its dataset %d: %v", id, err)
	}
	if _, err := update(copier, older, rootOf("copier's v3"), shaOf("copier's v3")); err != nil {
		t.Fatalf("the copier's own version 3: %v", err)
	}
	s.expectFail("the copier brings X back as a new version", types.ErrContentTaken, func() error {
		_, err := update(copier, older, orig.ContentRoot, orig.Sha256)
		return err
	})
}

// preRuleCopy sets up, on a version-1 store (before issue 17's content
// rule), the copier (s.other) listing dataset older long ago, the owner
// (s.owner) listing file X later as dataset id (orig), and the copier
// publishing X as a new version of older, the store taking it; then the
// chain upgrades (1→2 … 4→5). s.ta.Ctx is left at the upgrade's block.
func preRuleCopy(t *testing.T, s *suite) (older, id uint64, orig *types.MsgListDataset) {
	t.Helper()
	later := func() { s.ta.Ctx = s.ta.Ctx.WithBlockHeight(s.ta.Ctx.BlockHeight() + 10) }
	older = s.list(listMsg(s.other.String(), perJob(10))) // the copier's own file, long before
	later()
	orig = listMsg(s.owner.String(), perJob(10))
	listing := *orig
	id = s.list(&listing) // the owner lists X: its first lister
	later()
	if older >= id {
		t.Fatalf("set-up: ids %d and %d", older, id)
	}
	unindexContent(t, s, s.ta.Ctx) // the version-1 store
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, versionMsg(s.other.String(), older, orig.ContentRoot, orig.Sha256)); err != nil {
		t.Fatalf("set-up: the version-1 store lets the copy through as a new version: %v", err)
	}
	unindexContent(t, s, s.ta.Ctx)
	later()
	m := keeper.NewMigrator(s.k)
	mustOK(t, m.Migrate1to2(s.ta.Ctx))
	mustOK(t, m.Migrate2to3(s.ta.Ctx))
	mustOK(t, m.Migrate3to4(s.ta.Ctx))
	mustOK(t, m.Migrate4to5(s.ta.Ctx))
	return older, id, orig
}

// versionMsg publishes file (root, sha) as a new version of dataset.
func versionMsg(who string, dataset uint64, root []byte, sha string) *types.MsgUpdateDataset {
	return &types.MsgUpdateDataset{Owner: who, DatasetId: dataset, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: root, Sha256: sha, RowsSha256: rowsOf(sha)}
}
