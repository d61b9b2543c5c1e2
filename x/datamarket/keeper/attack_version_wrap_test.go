package keeper_test

import (
	"errors"
	"math"
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackGenesisVersionWrapsToUnpaidAccess: a doctored export (the threat
// of TestAttackGenesisIDWrapOverwritesDatasetAndLicence) set a dataset's
// version to 2^64 − 1, and the owner's next MsgUpdateDataset wrapped it to
// 0: a buyer's paid version was gone, every licence covered the new,
// unpaid content (a version 0 is below every licence's), and the state no
// longer exported into a valid genesis. The update is refused
// (ErrIDsExhausted) and changes nothing.
func TestAttackGenesisVersionWrapsToUnpaidAccess(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, perpetual(100, false)))
	s.buy(buyer, id, 0)
	s.reimport(func(gs *types.GenesisState) {
		for i := range gs.Datasets {
			if gs.Datasets[i].Id == id {
				gs.Datasets[i].Version = math.MaxUint64
			}
		}
		for _, v := range gs.DatasetVersions {
			if v.DatasetId == id && v.Version == 1 {
				v.Version = math.MaxUint64
				gs.DatasetVersions = append(gs.DatasetVersions, v)
				break
			}
		}
	})
	before := s.access(id, buyer)
	next := listMsg(owner)
	_, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: next.Rows, Cols: next.Cols, RowsPerChunk: next.RowsPerChunk,
		ContentRoot: next.ContentRoot, Sha256: next.Sha256, Uri: next.Uri,
	})
	if !errors.Is(err, types.ErrIDsExhausted) {
		t.Fatalf("update past version 2^64-1: %v, want ErrIDsExhausted", err)
	}
	d, err := s.k.Datasets.Get(s.ta.Ctx, id)
	if err != nil || d.Version != math.MaxUint64 {
		t.Fatalf("dataset after the refused update: version %d, %v", d.Version, err)
	}
	if a, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: buyer, Version: 1}); err != nil || !a.HasAccess {
		t.Fatalf("buyer's paid version 1 after the refused update: %+v, %v", a, err)
	}
	if after := s.access(id, buyer); after.HasAccess != before.HasAccess || after.Version != before.Version {
		t.Fatalf("buyer's access to the current version changed: %+v, was %+v", after, before)
	}
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("export after the refused update: %v", err)
	}
}
