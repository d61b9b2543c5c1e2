package keeper_test

import (
	"errors"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

// TestFrontRunPriceRaiseRefused (item 4): the buyer signs a purchase at the
// price it sees (max_price = 1000uaic, what the CLI fills in); in the same
// block, ahead of it, the owner publishes a version whose offer costs a
// million. The purchase is refused with ErrPriceAboveMax and the buyer's
// balance does not move, to the coin; so does a renewal front-run the same
// way.
func TestFrontRunPriceRaiseRefused(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, perpetual(1000, false), rental(10, 100)))
	purchase := &types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id, MaxPrice: s.priceCap(id, 0)}
	rent := s.buy(s.other.String(), id, 1)
	renewal := &types.MsgRenewLicense{Licensee: s.other.String(), LicenseId: rent.LicenseId, MaxPrice: s.priceCap(id, 1)}

	// The owner's transaction comes first in the block.
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("raised"), Sha256: shaOf("raised"), RowsSha256: rowsOf(shaOf("raised")),
		Offers: []types.LicenseOffer{perpetual(1_000_000, false), rental(10, 100_000)},
	}); err != nil {
		t.Fatal(err)
	}
	l := s.ledger(s.buyer.Address, s.other.Address, s.owner.Address, s.pool)
	s.expectFail("front-run purchase", types.ErrPriceAboveMax, func() error {
		_, err := s.ms.PurchaseLicense(s.ta.Ctx, purchase)
		return err
	})
	s.expectFail("front-run renewal", types.ErrPriceAboveMax, func() error {
		_, err := s.ms.RenewLicense(s.ta.Ctx, renewal)
		return err
	})
	s.expectFail("a coin of another denom", types.ErrPriceAboveMax, func() error {
		m := *purchase
		m.MaxPrice = sdk.NewInt64Coin("ufoo", 10_000_000)
		_, err := s.ms.PurchaseLicense(s.ta.Ctx, &m)
		return err
	})
	l.expect("front-run", 0, 0, 0, 0)
	// At the new price, with a cap that covers it, the sale goes through.
	m := *purchase
	m.MaxPrice = sdk.NewInt64Coin(denom, 1_000_000)
	if _, err := s.ms.PurchaseLicense(s.ta.Ctx, &m); err != nil {
		t.Fatal(err)
	}
	l.expect("sale at the new price", -1_000_000, 0, 975_000, 25_000)
}

// TestRenewAtOldPriceForever (item 5): a renter bought 10 blocks for 100; the
// owner now offers 5 blocks for 3000. A renewal is sold under the current
// offer — 3000 for 5 blocks — not at the licence's old price and term.
func TestRenewAtOldPriceForever(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, rental(10, 100)))
	res := s.buy(buyer, id, 0)
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("v2"), Sha256: shaOf("v2"), RowsSha256: rowsOf(shaOf("v2")),
		Offers: []types.LicenseOffer{perpetual(50, false), rental(5, 3000)},
	}); err != nil {
		t.Fatal(err)
	}
	l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
	s.expectFail("renewal capped at the old price", types.ErrPriceAboveMax, func() error {
		_, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId, MaxPrice: sdk.NewInt64Coin(denom, 100)})
		return err
	})
	renew, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId, MaxPrice: sdk.NewInt64Coin(denom, 3000)})
	if err != nil {
		t.Fatal(err)
	}
	l.expect("renewal under the current offer", -3000, 2925, 75)
	if renew.ExpiresHeight != res.ExpiresHeight+5 {
		t.Fatalf("renewed to %d, want %d (one current term of 5 blocks)", renew.ExpiresHeight, res.ExpiresHeight+5)
	}
	lic, err := s.k.GetLicense(s.ta.Ctx, res.LicenseId)
	if err != nil || lic.OfferIndex != 1 || lic.TermBlocks != 5 || !lic.Price.Equal(coins(3000)) || lic.Version != 1 {
		t.Fatalf("licence after renewal: %+v, %v", lic, err)
	}
	// No offer of the kind left: no renewal.
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf("v3"), Sha256: shaOf("v3"), RowsSha256: rowsOf(shaOf("v3")),
		Offers: []types.LicenseOffer{perpetual(50, false)},
	}); err != nil {
		t.Fatal(err)
	}
	s.expectFail("no rental offered", types.ErrNotRenewable, func() error {
		_, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId, MaxPrice: ample})
		return err
	})
}

// TestRenewalStacking (item 5): renewing ahead again and again would lock in
// today's price for years. The expiry never runs past now + max_term_blocks:
// a renewal that would is refused (ErrRenewalTooEarly) and costs nothing.
func TestRenewalStacking(t *testing.T) {
	s := setup(t)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	p := types.DefaultParams()
	p.ContentCommitDelayBlocks = 0 // the test chain lists without commitments (apptesting)
	p.MaxTermBlocks = 25
	if _, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); err != nil {
		t.Fatal(err)
	}
	buyer := s.buyer.String()
	id := s.list(listMsg(s.owner.String(), rental(10, 100)))
	h := s.ta.Ctx.BlockHeight()
	res := s.buy(buyer, id, 0)
	renew := func() (*types.MsgRenewLicenseResponse, error) {
		return s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId, MaxPrice: sdk.NewInt64Coin(denom, 100)})
	}
	r, err := renew()
	if err != nil || r.ExpiresHeight != h+20 {
		t.Fatalf("first renewal: %+v, %v (want expiry %d)", r, err, h+20)
	}
	l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
	s.expectFail("a third term ahead", types.ErrRenewalTooEarly, func() error { _, err := renew(); return err })
	l.expect("refused renewal", 0, 0, 0)
	for i := 0; i < 5; i++ {
		s.ta.NextBlock()
	}
	r, err = renew()
	if err != nil || r.ExpiresHeight != h+30 {
		t.Fatalf("renewal once it fits: %+v, %v (want expiry %d)", r, err, h+30)
	}
	l.expect("renewal once it fits", -100, 98, 2)
}

// TestLicenceStacking (item 5): a buyer who holds a PERPETUAL licence and a
// RENTAL one (the perpetual is the "best") buys another RENTAL: every valid
// licence of the kind is compared, so the purchase is refused and costs
// nothing.
func TestLicenceStacking(t *testing.T) {
	s := setup(t)
	buyer := s.buyer.String()
	id := s.list(listMsg(s.owner.String(), perpetual(1000, false), rental(10, 100)))
	s.buy(buyer, id, 0)
	s.buy(buyer, id, 1)
	l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
	s.expectFail("a second rental beside a rental and a perpetual", types.ErrAlreadyLicensed, func() error {
		_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id, OfferIndex: 1, MaxPrice: ample})
		return err
	})
	l.expect("refused stacking", 0, 0, 0)
}

// TestUpperCaseSignerLicenceMatches (item 12): bech32 accepts an upper-case
// address, and a signer may use one. Its licence is stored under the
// canonical spelling, so that the dataserver's lower-case HasAccess finds the
// licence the buyer paid for — and an upper-case owner still owns its
// dataset.
func TestUpperCaseSignerLicenceMatches(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	upperOwner, upperBuyer := strings.ToUpper(owner), strings.ToUpper(buyer)
	id := s.list(listMsg(upperOwner, rental(10, 1000)))
	if d := listedDataset(t, s, id); d.Owner != owner || d.Shares[0].Address != owner {
		t.Fatalf("dataset of an upper-case signer: %+v", d)
	}
	l := s.ledger(s.buyer.Address, s.owner.Address, s.pool)
	res := s.buy(upperBuyer, id, 0)
	l.expect("purchase", -1000, 975, 25)
	for _, addr := range []string{buyer, upperBuyer} {
		if a := s.access(id, addr); !a.HasAccess || a.LicenseId != res.LicenseId {
			t.Fatalf("access of %s: %+v", addr, a)
		}
	}
	got, err := s.q.Licenses(s.ta.Ctx, &types.QueryLicensesRequest{Licensee: upperBuyer})
	if err != nil || len(got.Licenses) != 1 || got.Licenses[0].Licensee != buyer {
		t.Fatalf("licences of the upper-case buyer: %+v, %v", got, err)
	}
	s.expectFail("a second rental in the other spelling", types.ErrAlreadyLicensed, func() error {
		_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id, MaxPrice: ample})
		return err
	})
	if _, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId, MaxPrice: ample}); err != nil {
		t.Fatalf("renewal in the lower-case spelling: %v", err)
	}
	if _, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: owner, DatasetId: id}); err != nil {
		t.Fatalf("the owner in the lower-case spelling: %v", err)
	}
}

// A licensee churns a transferable licence (to an accomplice and back, in
// one block) hoping the holder set forgets who holds it, so that a second
// licence of the same kind sells (stacking a term the dataset's owner sold
// once) or the rightful holder loses access. The set follows the licence:
// the second purchase is refused and costs the buyer nothing, the owner is
// paid exactly once, the final holder has access and the accomplice none.
func TestAttackLicenceTransferChurn(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(100, true)))
	ownerBefore := s.ta.Balance(s.owner.Address, denom)
	l := s.buy(buyer, id, 0)
	for _, hop := range [][2]string{{buyer, other}, {other, buyer}} {
		if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: hop[0], LicenseId: l.LicenseId, Recipient: hop[1]}); err != nil {
			t.Fatal(err)
		}
	}
	s.holdersExact()
	buyerBefore, ownerPaid := s.ta.Balance(s.buyer.Address, denom), s.ta.Balance(s.owner.Address, denom)
	_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id, OfferIndex: 0, MaxPrice: s.priceCap(id, 0)})
	if !errors.Is(err, types.ErrAlreadyLicensed) {
		t.Fatalf("a second perpetual licence after the churn: %v, want ErrAlreadyLicensed", err)
	}
	if got := s.ta.Balance(s.buyer.Address, denom); !got.Equal(buyerBefore) {
		t.Fatalf("the refused purchase moved the buyer's balance: %s -> %s", buyerBefore, got)
	}
	if got := s.ta.Balance(s.owner.Address, denom); !got.Equal(ownerPaid) || !ownerPaid.GT(ownerBefore) {
		t.Fatalf("owner's balance %s before the sale, %s after it, %s after the refused one", ownerBefore, ownerPaid, got)
	}
	if !s.access(id, buyer).HasAccess || s.access(id, other).HasAccess {
		t.Fatal("access does not follow the churned licence")
	}
}
