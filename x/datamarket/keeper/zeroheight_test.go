package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/datamarket/keeper"
)

func TestRebaseExpiry(t *testing.T) {
	for _, c := range []struct{ e, export, want int64 }{
		{0, 100, 0},   // never expires
		{40, 100, 1},  // expired before the export: expired from block 1
		{100, 100, 1}, // expired at the export height
		{101, 100, 1}, // expires in the block after the export: block 1
		{150, 100, 50},
	} {
		if got := keeper.RebaseExpiry(c.e, c.export); got != c.want {
			t.Errorf("RebaseExpiry(%d, %d) = %d, want %d", c.e, c.export, got, c.want)
		}
	}
}

// TestPrepareForZeroHeight: a rental running at the export keeps the blocks
// it had left (queue key included), an expired one stays expired, history
// heights become 0 (a version's, which orders publications, shifted below
// 1), and the EndBlocker expires the rental at its new height.
func TestPrepareForZeroHeight(t *testing.T) {
	s := setup(t)
	id := s.list(listMsg(s.owner.String(), rental(3, 100), rental(50, 100)))
	listedAt := s.ta.Ctx.BlockHeight()
	short := s.buy(s.buyer.String(), id, 0)
	for i := 0; i < 5; i++ {
		s.ta.NextBlock()
	}
	long := s.buy(s.other.String(), id, 1)
	s.ta.NextBlock()
	exportH := s.ta.Ctx.BlockHeight() - 1 // the last committed height
	ctx := s.ta.Ctx.WithBlockHeight(exportH)
	if err := s.k.PrepareForZeroHeight(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := s.k.GetLicense(ctx, long.LicenseId)
	if err != nil {
		t.Fatal(err)
	}
	left := long.ExpiresHeight - exportH
	if left < 2 || l.ExpiresHeight != left || l.PurchasedHeight != 0 || l.Expired {
		t.Fatalf("running rental after the rebase %+v; expired at %d before, export %d", l, long.ExpiresHeight, exportH)
	}
	if has, err := s.k.ExpiryQueue.Has(ctx, collections.Join(left, l.Id)); err != nil || !has {
		t.Fatalf("expiry queue entry at %d: %t %v", left, has, err)
	}
	sl, err := s.k.GetLicense(ctx, short.LicenseId)
	if err != nil || sl.ExpiresHeight != 1 || !sl.Expired || keeper.LicenseValidAt(sl, 1) {
		t.Fatalf("expired rental after the rebase %+v, %v", sl, err)
	}
	d, err := s.k.GetDataset(ctx, id)
	if err != nil || d.CreatedHeight != 0 || d.UpdatedHeight != 0 {
		t.Fatalf("dataset history heights %+v, %v", d, err)
	}
	gs, err := s.k.ExportGenesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("genesis after the rebase: %v", err)
	}
	for _, v := range gs.DatasetVersions { // shifted below 1, in order (listedBefore)
		if want := listedAt - exportH; v.Height != want {
			t.Fatalf("version %d height %d, want %d (listed at %d, exported at %d)", v.Version, v.Height, want, listedAt, exportH)
		}
	}
	// The new chain: valid up to left-1, expired by the EndBlocker at left.
	if !keeper.LicenseValidAt(l, left-1) || keeper.LicenseValidAt(l, left) {
		t.Fatalf("licence validity around its new expiry %d is wrong", left)
	}
	if err := s.k.ExpireLicenses(ctx.WithBlockHeight(left - 1)); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.k.GetLicense(ctx, long.LicenseId); l.Expired {
		t.Fatalf("expired one block early, at %d", left-1)
	}
	if err := s.k.ExpireLicenses(ctx.WithBlockHeight(left)); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.k.GetLicense(ctx, long.LicenseId); !l.Expired {
		t.Fatalf("not expired at its new expiry height %d", left)
	}
}
