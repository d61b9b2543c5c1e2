package keeper_test

import (
	"errors"
	"math"
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackGenesisVersionWrapsToUnpaidAccess: a doctored export (the threat
// of TestAttackGenesisIDWrapOverwritesDatasetAndLicence) set a dataset's
// version to 2^64 − 1, and the owner's next MsgUpdateDataset wrapped it to
// 0: a buyer's paid version was gone, every licence covered the new,
// unpaid content (a version 0 is below every licence's), and the state no
// longer exported into a valid genesis. Such a genesis is refused now (it
// would need a record of every version below, as
// TestAttackDatamarketGenesisDropsLicensedVersion asks); the update, on a
// state that holds such a version all the same, is still refused
// (ErrIDsExhausted) and changes nothing.
func TestAttackGenesisVersionWrapsToUnpaidAccess(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, perpetual(100, false)))
	s.buy(buyer, id, 0)
	gs := exportGenesis(s)
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
	if err := gs.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("a genesis at version 2^64-1 with two version records: %v, want ErrInvalidGenesis", err)
	}
	// The same state, written directly.
	d, err := s.k.GetDataset(s.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.k.GetDatasetVersion(s.ta.Ctx, id, 1)
	if err != nil {
		t.Fatal(err)
	}
	d.Version, v.Version = math.MaxUint64, math.MaxUint64
	if err := s.k.Datasets.Set(s.ta.Ctx, id, d); err != nil {
		t.Fatal(err)
	}
	if err := s.k.DatasetVersions.Set(s.ta.Ctx, collections.Join(id, v.Version), v); err != nil {
		t.Fatal(err)
	}
	before := s.access(id, buyer)
	next := listMsg(owner)
	s.expectFail("update past version 2^64-1", types.ErrIDsExhausted, func() error {
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
			Owner: owner, DatasetId: id, Rows: next.Rows, Cols: next.Cols, RowsPerChunk: next.RowsPerChunk,
			ContentRoot: next.ContentRoot, Sha256: next.Sha256, RowsSha256: rowsOf(next.Sha256), Uri: next.Uri,
		})
		return err
	})
	if a, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: buyer, Version: 1}); err != nil || !a.HasAccess {
		t.Fatalf("buyer's paid version 1 after the refused update: %+v, %v", a, err)
	}
	if after := s.access(id, buyer); after.HasAccess != before.HasAccess || after.Version != before.Version {
		t.Fatalf("buyer's access to the current version changed: %+v, was %+v", after, before)
	}
}
