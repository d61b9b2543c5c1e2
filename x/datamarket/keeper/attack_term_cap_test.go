package keeper_test

import (
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackOwnerSellsTermBeyondCap: the owner listed a 100-block RENTAL
// for 1,000 when max_term_blocks allowed it; governance then lowers the cap
// to 40. A licence never runs past the cap, so the chain would deliver 40
// blocks and the owner keep the whole price for 100 — and the term the
// buyers signed for (expected_offer, min_term_blocks: 100, as the CLI sets
// them) would pass its check unmet. A purchase, and the renewal of a lapsed
// licence, under the over-cap offer are refused (ErrInvalidOffer) and
// nothing moves; the owner must republish the offer within the cap.
func TestAttackOwnerSellsTermBeyondCap(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	seen := rental(100, 1000)
	id := s.list(listMsg(owner, seen))
	lic := s.buy(buyer, id, 0)

	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	p := types.DefaultParams()
	p.ContentCommitDelayBlocks = 0 // the test chain lists without commitments (apptesting)
	p.MaxTermBlocks = 40
	if _, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 101; i++ { // the buyer's rental lapses: a renewal runs from now
		s.ta.NextBlock()
	}
	l := s.ledger(s.owner.Address, s.buyer.Address, s.other.Address, s.pool)
	s.expectFail("a purchase of 100 blocks that would run 40", types.ErrInvalidOffer, func() error {
		_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{
			Buyer: other, DatasetId: id, MaxPrice: s.priceCap(id, 0), ExpectedOffer: &seen,
		})
		return err
	})
	s.expectFail("a renewal of 100 blocks that would run 40", types.ErrInvalidOffer, func() error {
		_, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{
			Licensee: buyer, LicenseId: lic.LicenseId, MaxPrice: s.priceCap(id, 0), MinTermBlocks: seen.DurationBlocks,
		})
		return err
	})
	l.expect("the over-cap sales", 0, 0, 0, 0)
	if a := s.access(id, other); a.HasAccess {
		t.Fatalf("the refused buyer has access: %+v", a)
	}

	// Republished within the cap, the offer sells for the term it names.
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("capped"), Sha256: shaOf("capped"), RowsSha256: rowsOf(shaOf("capped")),
		Offers: []types.LicenseOffer{rental(40, 400)},
	}); err != nil {
		t.Fatal(err)
	}
	h := s.ta.Ctx.BlockHeight()
	res := s.buy(other, id, 0)
	if res.ExpiresHeight != h+40 {
		t.Fatalf("expiry %d, want %d", res.ExpiresHeight, h+40)
	}
	l.expect("a purchase within the cap", 390, 0, -400, 10)
}
