package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackOfferSwapAheadOfPurchase: the buyer signs a purchase of offer 0,
// a transferable PERPETUAL licence for 1,000, and a renewal of its 100-block
// rental for 100. Ahead of both, in the same block, the owner replaces the
// offers, keeping the prices: offer 0 becomes a 1-block RENTAL and the
// rental's term 1 block. max_price passes; were nothing else compared, the
// buyer would pay 1,000 for a licence gone the next block and 100 for one
// more block. The buyer's messages carry the offer it saw (as the CLI sets
// them), so both are refused with ErrOfferChanged and nothing moves; the
// same purchase under the offer as it now is, knowingly, goes through.
func TestAttackOfferSwapAheadOfPurchase(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	seen := perpetual(1000, true)
	id := s.list(listMsg(owner, seen, rental(100, 100)))
	rent := s.buy(buyer, id, 1)
	purchase := &types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id, MaxPrice: s.priceCap(id, 0), ExpectedOffer: &seen}
	renewal := &types.MsgRenewLicense{Licensee: buyer, LicenseId: rent.LicenseId, MaxPrice: s.priceCap(id, 1), MinTermBlocks: 100}

	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("swapped"), Sha256: shaOf("swapped"), RowsSha256: rowsOf(shaOf("swapped")),
		Offers: []types.LicenseOffer{rental(1, 1000), rental(1, 100)},
	}); err != nil {
		t.Fatal(err)
	}
	l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
	s.expectFail("a purchase of the swapped offer", types.ErrOfferChanged, func() error {
		_, err := s.ms.PurchaseLicense(s.ta.Ctx, purchase)
		return err
	})
	s.expectFail("a renewal of the shortened term", types.ErrOfferChanged, func() error {
		_, err := s.ms.RenewLicense(s.ta.Ctx, renewal)
		return err
	})
	l.expect("the swap", 0, 0, 0)

	// A transferability flipped alone is a change too.
	untransferable := seen
	untransferable.Transferable = false
	if err := types.CheckExpectedOffer(untransferable, &seen); err == nil {
		t.Fatal("an offer that is no longer transferable passed as the one expected")
	}
	// The buyer who accepts the offer as it now is buys it.
	now := rental(1, 1000)
	purchase.ExpectedOffer = &now
	if _, err := s.ms.PurchaseLicense(s.ta.Ctx, purchase); err != nil {
		t.Fatal(err)
	}
	l.expect("a knowing purchase", -1000, 975, 25)
}

// TestAttackRenewalDropsTransferability: the buyer holds a transferable
// 100-block RENTAL (offer 1) and signs its renewal for 100. Ahead of it the
// owner republishes the offer non-transferable, same price and term: the
// renewed licence takes the offer's transferability, so the buyer would pay
// 100 to lose the right to resell it. The renewal carries
// require_transferable (the CLI sets it from the offer it queried) and is
// refused with ErrOfferChanged; nothing moves and the licence stays
// transferable, with its expiry. A renewal that accepts the offer as it now
// is goes through, and the licence is then not transferable.
func TestAttackRenewalDropsTransferability(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	transferableRental := rental(100, 100)
	transferableRental.Transferable = true
	id := s.list(listMsg(owner, perpetual(1000, false), transferableRental))
	lic := s.buy(buyer, id, 1)
	before, err := s.k.GetLicense(s.ta.Ctx, lic.LicenseId)
	if err != nil || !before.Transferable {
		t.Fatalf("bought licence %+v, %v: want a transferable one", before, err)
	}
	renewal := &types.MsgRenewLicense{
		Licensee: buyer, LicenseId: lic.LicenseId, MaxPrice: s.priceCap(id, 1), MinTermBlocks: 100, RequireTransferable: true,
	}

	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("no-resale"), Sha256: shaOf("no-resale"), RowsSha256: rowsOf(shaOf("no-resale")),
		Offers: []types.LicenseOffer{perpetual(1000, false), rental(100, 100)},
	}); err != nil {
		t.Fatal(err)
	}
	l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
	s.expectFail("a renewal under the offer made non-transferable", types.ErrOfferChanged, func() error {
		_, err := s.ms.RenewLicense(s.ta.Ctx, renewal)
		return err
	})
	l.expect("the refused renewal", 0, 0, 0)
	after, err := s.k.GetLicense(s.ta.Ctx, lic.LicenseId)
	if err != nil || !after.Transferable || after.ExpiresHeight != before.ExpiresHeight {
		t.Fatalf("licence after the refused renewal %+v, %v; want it as bought %+v", after, err, before)
	}

	renewal.RequireTransferable = false
	if _, err := s.ms.RenewLicense(s.ta.Ctx, renewal); err != nil {
		t.Fatal(err)
	}
	l.expect("a knowing renewal", -100, 98, 2)
	if after, err = s.k.GetLicense(s.ta.Ctx, lic.LicenseId); err != nil || after.Transferable {
		t.Fatalf("licence after the knowing renewal %+v, %v: want it not transferable", after, err)
	}
}
