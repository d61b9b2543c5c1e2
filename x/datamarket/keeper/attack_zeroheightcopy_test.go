package keeper_test

import (
	"testing"
)

// TestAttackZeroHeightRestartGivesOwnersFileToOlderCopier: the set-up of
// TestAttackOlderDatasetCopiesALaterListingAsANewVersion. On a version-1
// store the copier, who listed dataset 1 long ago, published the owner's
// file X (first listed as dataset 2) as version 2 of its older dataset 1.
// The upgrade (1→2 … 4→5) files X as the owner's (setContent orders by the
// version record's height, then the lowest id). Then the chain restarts
// from a zero-height export (`aichaind export --for-zero-height`):
// PrepareForZeroHeight rebases every version's height to 0, the export does
// not carry ContentRoots/ContentShas, and InitGenesis rebuilds them with
// setContent, which now sees equal heights and falls back to the lowest id:
// the copier's. On the restarted chain the owner, X's first lister, may no
// longer publish X as a new version of its own dataset, and the copier may.
// Honest outcome: a restart changes nothing of who owns a file.
func TestAttackZeroHeightRestartGivesOwnersFileToOlderCopier(t *testing.T) {
	s := setup(t)
	copier, owner := s.other.String(), s.owner.String()
	older, id, orig := preRuleCopy(t, s)
	ctx := s.ta.Ctx
	if got, err := s.k.ContentRoots.Get(ctx, orig.ContentRoot); err != nil || got != id {
		t.Fatalf("set-up: after the upgrade X is dataset %d's (%v); want the owner's %d", got, err, id)
	}

	// The zero-height restart.
	mustOK(t, s.k.PrepareForZeroHeight(ctx))
	gs, err := s.k.ExportGenesis(ctx)
	mustOK(t, err)
	mustOK(t, gs.Validate())
	fresh := setup(t)
	mustOK(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	fctx := fresh.ta.Ctx

	got, err := fresh.k.ContentRoots.Get(fctx, orig.ContentRoot)
	mustOK(t, err)
	gotSha, err := fresh.k.ContentShas.Get(fctx, orig.Sha256)
	mustOK(t, err)
	if got != id || gotSha != id {
		t.Errorf("after the zero-height restart file X is dataset %d's (root) / %d's (sha256), the copier's dataset is %d; want the owner's %d, as before the restart",
			got, gotSha, older, id)
	}
	update := func(who string, dataset uint64, root []byte, sha string) error {
		_, err := fresh.ms.UpdateDataset(fctx, versionMsg(who, dataset, root, sha))
		return err
	}
	mustOK(t, update(owner, id, rootOf("owner's v2 after restart"), shaOf("owner's v2 after restart")))
	if err := update(owner, id, orig.ContentRoot, orig.Sha256); err != nil {
		t.Errorf("after the restart the owner, X's first lister, may not publish X again as a new version of its dataset %d: %v", id, err)
	}
	mustOK(t, update(copier, older, rootOf("copier's v3 after restart"), shaOf("copier's v3 after restart")))
	if err := update(copier, older, orig.ContentRoot, orig.Sha256); err == nil {
		t.Errorf("after the restart the copier brings X back as a new version of its dataset %d", older)
	}
}
