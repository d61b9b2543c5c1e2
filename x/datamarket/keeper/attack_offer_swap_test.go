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
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("swapped"), Sha256: shaOf("swapped"),
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
