package keeper_test

import (
	"context"
	"slices"
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackCopyListedBeforeIssue17BreaksExportAfterUpgrade. On a
// version-1 store (before issue 17's content rule) a copier lists the
// owner's file as a dataset of its own: the store had no content index and
// took it (TestMigrate1to2 shows it, then undoes the copy before it
// migrates). The chain upgrades through every migration (1→2 … 4→5): none
// resolves the copy. Two things went wrong:
//   - Migrate4to5 filed each version's content in id order, last one
//     winning, so the file became the copier's dataset's (ContentRoots,
//     ContentShas), not the first lister's: the owner's own new version of
//     it was refused, the copier's allowed;
//   - the chain's own export no longer imported: genesis Validate refused a
//     version holding another dataset's content, which the chain itself
//     kept, so the chain could not restart from its export.
//
// It passes now: Migrate4to5 and InitGenesis file a file as the first
// dataset's (lowest id) that holds it, never a later one's (setContent), and
// genesis Validate accepts content two datasets hold, as x/modelregistry
// keeps two names' shared weights from before its rule in genesis
// (setWeights). Both datasets keep their versions and access; only new
// listings and versions of the file are refused, the copier's included.
func TestAttackCopyListedBeforeIssue17BreaksExportAfterUpgrade(t *testing.T) {
	s, orig, id, copyID := upgradedLegacyCopy(t)
	ctx := s.ta.Ctx

	if got, err := s.k.ContentRoots.Get(ctx, orig.ContentRoot); err != nil || got != id {
		t.Errorf("after the upgrade the file is dataset %d's (%v), the copier's is %d; want the first lister's, %d",
			got, err, copyID, id)
	}

	gs, err := s.k.ExportGenesis(ctx)
	mustOK(t, err)
	if err := gs.Validate(); err != nil {
		t.Fatalf("the upgraded chain's own export is refused: %v", err)
	}
	fresh := setup(t)
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		t.Fatalf("the upgraded chain's own export does not import: %v", err)
	}

	// On the upgraded chain the file is the owner's: the owner may publish
	// it again, the copier may not, and each keeps its own dataset.
	s.expectLegacyCopyRules(orig, id, copyID)
}

// TestGenesisImportsContentSharedBeforeTheRule: a genesis holding one file
// in two datasets (a copy kept from before issue 17's rule) imports, in
// whatever order its version records come, with the file the first
// dataset's (lowest id): the same rules hold on the new chain as on the
// upgraded one.
func TestGenesisImportsContentSharedBeforeTheRule(t *testing.T) {
	for _, reversed := range []bool{false, true} {
		s, orig, id, copyID := upgradedLegacyCopy(t)
		gs, err := s.k.ExportGenesis(s.ta.Ctx)
		mustOK(t, err)
		if reversed {
			slices.Reverse(gs.DatasetVersions) // the copy's records first
		}
		fresh := setup(t)
		if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
			t.Fatalf("a genesis with content two datasets hold (reversed %t): %v", reversed, err)
		}
		if got, err := fresh.k.ContentRoots.Get(fresh.ta.Ctx, orig.ContentRoot); err != nil || got != id {
			t.Fatalf("imported root filed as dataset %d's (%v), want %d (reversed %t)", got, err, id, reversed)
		}
		if got, err := fresh.k.ContentShas.Get(fresh.ta.Ctx, orig.Sha256); err != nil || got != id {
			t.Fatalf("imported sha256 filed as dataset %d's (%v), want %d (reversed %t)", got, err, id, reversed)
		}
		fresh.owner, fresh.other = s.owner, s.other
		fresh.expectLegacyCopyRules(orig, id, copyID)
	}
}

// upgradedLegacyCopy lists the owner's file (dataset id), then, on a store
// as version 1 kept it (no content index, no content files), the copier's
// dataset of the same file (copyID), and runs every migration from version
// 1 on.
func upgradedLegacyCopy(t *testing.T) (s *suite, orig *types.MsgListDataset, id, copyID uint64) {
	t.Helper()
	s = setup(t)
	ctx := s.ta.Ctx
	orig = listMsg(s.owner.String(), perJob(10))
	first := *orig
	id = s.list(&first)

	// The version-1 store: no content index, no content files.
	unindexAll := func() { unindexContent(t, s, ctx) }
	unindexAll()
	copied := *orig
	copied.Owner, copied.Name = s.other.String(), "copy"
	res, err := s.ms.ListDataset(ctx, &copied)
	if err != nil {
		t.Fatalf("set-up: the version-1 store lets the copy through: %v", err)
	}
	unindexAll() // as version 1 stored the copy: no index entries either

	// The upgrade: every migration from version 1 on.
	m := keeper.NewMigrator(s.k)
	mustOK(t, m.Migrate1to2(ctx))
	mustOK(t, m.Migrate2to3(ctx))
	mustOK(t, m.Migrate3to4(ctx))
	mustOK(t, m.Migrate4to5(ctx))
	return s, orig, id, res.DatasetId
}

// expectLegacyCopyRules checks a chain holding the owner's file in dataset
// id and the copier's legacy dataset copyID: both keep their versions (what
// a dataset server reads) and their owners' access; the copier may neither
// list the file again nor bring it back as a new version; the owner may.
func (s *suite) expectLegacyCopyRules(orig *types.MsgListDataset, id, copyID uint64) {
	t, ctx := s.t, s.ta.Ctx
	t.Helper()
	for _, d := range []struct {
		id    uint64
		owner string
	}{{id, s.owner.String()}, {copyID, s.other.String()}} {
		v, err := s.q.DatasetVersion(ctx, &types.QueryDatasetVersionRequest{DatasetId: d.id, Version: 1})
		if err != nil || v.DatasetVersion.Sha256 != orig.Sha256 {
			t.Fatalf("dataset %d version 1: %+v, %v", d.id, v, err)
		}
		if a := s.access(d.id, d.owner); !a.HasAccess || a.Reason != "owner" {
			t.Fatalf("dataset %d's owner's access: %+v", d.id, a)
		}
	}
	update := func(owner string, dataset uint64, root []byte, sha string) (*types.MsgUpdateDatasetResponse, error) {
		return s.ms.UpdateDataset(ctx, &types.MsgUpdateDataset{
			Owner: owner, DatasetId: dataset, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: root, Sha256: sha, RowsSha256: rowsOf(sha),
		})
	}
	copier, owner := s.other.String(), s.owner.String()
	if _, err := update(copier, copyID, rootOf("copier's v2"), shaOf("copier's v2")); err != nil {
		t.Fatalf("the copier's new file as version 2: %v", err)
	}
	s.expectFail("the copier brings the file back as version 3", types.ErrContentTaken, func() error {
		_, err := update(copier, copyID, orig.ContentRoot, orig.Sha256)
		return err
	})
	s.expectFail("the copier lists the file again", types.ErrContentTaken, func() error {
		m := listMsg(copier, perJob(1))
		m.ContentRoot, m.Sha256 = orig.ContentRoot, orig.Sha256
		_, err := s.ms.ListDataset(ctx, m)
		return err
	})
	if _, err := update(owner, id, rootOf("owner's v2"), shaOf("owner's v2")); err != nil {
		t.Fatalf("the owner's version 2: %v", err)
	}
	if res, err := update(owner, id, orig.ContentRoot, orig.Sha256); err != nil || res.Version != 3 {
		t.Fatalf("the owner's own file back as version 3: %+v, %v", res, err)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// unindexContent makes the store a version-1 one for its versions: no
// content index entries (ByRoot, BySha256), no content files
// (ContentRoots, ContentShas, RowsShas) and no rows key on any version or
// dataset (listed before it).
func unindexContent(t *testing.T, s *suite, ctx context.Context) {
	t.Helper()
	var keys []collections.Pair[uint64, uint64]
	var vals []types.DatasetVersion
	mustOK(t, s.k.DatasetVersions.Walk(ctx, nil, func(pk collections.Pair[uint64, uint64], v types.DatasetVersion) (bool, error) {
		keys, vals = append(keys, pk), append(vals, v)
		return false, nil
	}))
	for i, pk := range keys {
		v := vals[i]
		mustOK(t, s.k.RowsShas.Remove(ctx, v.RowsSha256))
		v.RowsSha256 = ""
		mustOK(t, s.k.DatasetVersions.Set(ctx, pk, v))
		d, err := s.k.Datasets.Get(ctx, v.DatasetId)
		mustOK(t, err)
		d.RowsSha256 = ""
		mustOK(t, s.k.Datasets.Set(ctx, d.Id, d))
		get := func() (types.DatasetVersion, error) { return v, nil }
		mustOK(t, s.k.DatasetVersions.Indexes.ByRoot.Unreference(ctx, pk, get))
		mustOK(t, s.k.DatasetVersions.Indexes.BySha256.Unreference(ctx, pk, get))
		mustOK(t, s.k.ContentRoots.Remove(ctx, v.ContentRoot))
		mustOK(t, s.k.ContentShas.Remove(ctx, v.Sha256))
	}
}
