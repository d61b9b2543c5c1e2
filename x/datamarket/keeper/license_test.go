package keeper_test

import (
	"errors"
	"fmt"
	"maps"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

func TestPurchaseLicense(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	c1, c2 := s.ta.NewAccount(coins(1)), s.ta.NewAccount(coins(1))
	m := listMsg(owner, rental(10, 10_000), perJob(77))
	m.Shares = []common.Share{{Address: c1.String(), Weight: 2}, {Address: c2.String(), Weight: 1}}
	id := s.list(m)

	poolBefore, buyerBefore := s.ta.Balance(s.pool, denom), s.ta.Balance(s.buyer.Address, denom)
	c1Before, c2Before := s.ta.Balance(c1.Address, denom), s.ta.Balance(c2.Address, denom)
	h := s.ta.Ctx.BlockHeight()
	res := s.buy(buyer, id, 0)
	if res.ExpiresHeight != h+10 {
		t.Fatalf("expires at %d, want %d", res.ExpiresHeight, h+10)
	}
	// 10000: 2.5% = 250 to the pool; 9750 split 2:1 = 6500 / 3250.
	check := func(name string, addr sdk.AccAddress, before math.Int, delta int64) {
		t.Helper()
		if got := s.ta.Balance(addr, denom).Sub(before); !got.Equal(math.NewInt(delta)) {
			t.Fatalf("%s changed by %s, want %d", name, got, delta)
		}
	}
	check("pool", s.pool, poolBefore, 250)
	check("buyer", s.buyer.Address, buyerBefore, -10_000)
	check("share 1", c1.Address, c1Before, 6500)
	check("share 2", c2.Address, c2Before, 3250)
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventLicensePurchased") {
		t.Fatal("no EventLicensePurchased")
	}
	l, err := s.k.GetLicense(s.ta.Ctx, res.LicenseId)
	if err != nil || l.Licensee != buyer || l.Kind != types.LICENSE_KIND_RENTAL || l.Version != 1 || l.TermBlocks != 10 {
		t.Fatalf("licence: %+v, %v", l, err)
	}

	poor := s.ta.NewAccount(coins(9_999))
	cases := []struct {
		name string
		want error
		msg  types.MsgPurchaseLicense
	}{
		{"bad buyer", types.ErrInvalidRequest, types.MsgPurchaseLicense{Buyer: "x", DatasetId: id, MaxPrice: ample}},
		{"zero dataset", types.ErrInvalidRequest, types.MsgPurchaseLicense{Buyer: buyer, MaxPrice: ample}},
		{"unknown dataset", types.ErrDatasetNotFound, types.MsgPurchaseLicense{Buyer: buyer, DatasetId: 9, MaxPrice: ample}},
		{"offer out of range", types.ErrInvalidOffer, types.MsgPurchaseLicense{Buyer: s.other.String(), DatasetId: id, OfferIndex: 2, MaxPrice: ample}},
		{"per-job offer", types.ErrInvalidOffer, types.MsgPurchaseLicense{Buyer: s.other.String(), DatasetId: id, OfferIndex: 1, MaxPrice: ample}},
		{"owner buys", types.ErrInvalidRequest, types.MsgPurchaseLicense{Buyer: owner, DatasetId: id, MaxPrice: ample}},
		{"already licensed", types.ErrAlreadyLicensed, types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id, MaxPrice: ample}},
		{"insufficient funds", types.ErrInsufficientFunds, types.MsgPurchaseLicense{Buyer: poor.String(), DatasetId: id, MaxPrice: ample}},
	}
	for _, c := range cases {
		msg := c.msg
		s.expectFail(c.name, c.want, func() error {
			_, err := s.ms.PurchaseLicense(s.ta.Ctx, &msg)
			return err
		})
	}
	if got := s.ta.Balance(poor.Address, denom); !got.Equal(math.NewInt(9_999)) {
		t.Fatalf("poor buyer's balance changed to %s", got)
	}
}

// TestRentalExpiry: a rental grants access for exactly duration_blocks
// blocks; the EndBlocker then marks it expired; a renewal restores access.
func TestRentalExpiry(t *testing.T) {
	s := setup(t)
	buyer := s.buyer.String()
	id := s.list(listMsg(s.owner.String(), rental(3, 1000)))
	res := s.buy(buyer, id, 0)
	start := s.ta.Ctx.BlockHeight()
	for h := start; h < start+3; h++ {
		if a := s.access(id, buyer); !a.HasAccess || a.ExpiresHeight != start+3 {
			t.Fatalf("height %d: no access before expiry: %+v", h, a)
		}
		s.ta.NextBlock()
	}
	if s.ta.Ctx.BlockHeight() != start+3 {
		t.Fatalf("at height %d", s.ta.Ctx.BlockHeight())
	}
	if a := s.access(id, buyer); a.HasAccess {
		t.Fatalf("access at the expiry height: %+v", a)
	}
	s.ta.NextBlock() // the EndBlocker of start+3 marks it
	l, _ := s.k.GetLicense(s.ta.Ctx, res.LicenseId)
	if !l.Expired {
		t.Fatalf("licence not marked expired: %+v", l)
	}
	// DatasetTermsForJob no longer counts it.
	if _, err := s.k.DatasetTermsForJob(s.ta.Ctx, id, buyer, 0); !errors.Is(err, types.ErrNoLicense) {
		t.Fatalf("terms after expiry: %v", err)
	}
	// Transfer of an expired licence is refused even if transferable (it is not here either).
	renew, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId, MaxPrice: ample})
	if err != nil {
		t.Fatal(err)
	}
	if want := s.ta.Ctx.BlockHeight() + 3; renew.ExpiresHeight != want {
		t.Fatalf("renewed until %d, want %d (from now: it had expired)", renew.ExpiresHeight, want)
	}
	if a := s.access(id, buyer); !a.HasAccess {
		t.Fatalf("no access after renewal: %+v", a)
	}
	l, _ = s.k.GetLicense(s.ta.Ctx, res.LicenseId)
	if l.Expired {
		t.Fatal("renewed licence still marked expired")
	}
}

// TestSubscriptionRenewal: renewing before expiry extends from the expiry,
// moves the licence to the current version, and leaves one queue entry.
func TestSubscriptionRenewal(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, subscription(4, 500)))
	res := s.buy(buyer, id, 0)
	s.ta.NextBlock()
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 10, Cols: 12, RowsPerChunk: 5, ContentRoot: rootOf("b"), Sha256: shaOf("b"), RowsSha256: rowsOf(shaOf("b")),
	}); err != nil {
		t.Fatal(err)
	}
	before := s.ta.Balance(s.buyer.Address, denom)
	renew, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId, MaxPrice: ample})
	if err != nil {
		t.Fatal(err)
	}
	if renew.ExpiresHeight != res.ExpiresHeight+4 {
		t.Fatalf("renewed until %d, want %d", renew.ExpiresHeight, res.ExpiresHeight+4)
	}
	if paid := before.Sub(s.ta.Balance(s.buyer.Address, denom)); !paid.Equal(math.NewInt(500)) {
		t.Fatalf("renewal cost %s, want 500", paid)
	}
	l, _ := s.k.GetLicense(s.ta.Ctx, res.LicenseId)
	if l.Version != 2 {
		t.Fatalf("subscription version %d after renewal, want 2", l.Version)
	}
	n := 0
	if err := s.k.ExpiryQueue.Walk(s.ta.Ctx, nil, func(key collectionsPair) (bool, error) {
		n++
		if key.K1() != renew.ExpiresHeight || key.K2() != res.LicenseId {
			t.Fatalf("queue entry %v", key)
		}
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d queue entries, want 1", n)
	}
	for s.ta.Ctx.BlockHeight() < renew.ExpiresHeight {
		if !s.access(id, buyer).HasAccess {
			t.Fatalf("height %d: lost access before %d", s.ta.Ctx.BlockHeight(), renew.ExpiresHeight)
		}
		s.ta.NextBlock()
	}
	if s.access(id, buyer).HasAccess {
		t.Fatal("access after the renewed expiry")
	}
}

func TestRenewLicenseFailures(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, rental(5, 1000), perpetual(10, false)))
	rent := s.buy(buyer, id, 0)
	perp := s.buy(s.other.String(), id, 1)
	renew := func(who string, lid uint64) func() error {
		return func() error {
			_, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: who, LicenseId: lid, MaxPrice: ample})
			return err
		}
	}
	s.expectFail("bad address", types.ErrInvalidRequest, renew("nope", rent.LicenseId))
	s.expectFail("not found", types.ErrLicenseNotFound, renew(buyer, 99))
	s.expectFail("wrong licensee", types.ErrUnauthorized, renew(s.other.String(), rent.LicenseId))
	s.expectFail("perpetual", types.ErrNotRenewable, renew(s.other.String(), perp.LicenseId))
	// Drain the buyer so that the renewal cannot be paid.
	spend := s.ta.Balance(s.buyer.Address, denom).SubRaw(999)
	if err := s.ta.BankKeeper.SendCoins(s.ta.Ctx, s.buyer.Address, s.owner.Address, sdk.NewCoins(sdk.NewCoin(denom, spend))); err != nil {
		t.Fatal(err)
	}
	s.expectFail("insufficient funds", types.ErrInsufficientFunds, renew(buyer, rent.LicenseId))
	if _, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: owner, DatasetId: id}); err != nil {
		t.Fatal(err)
	}
	s.expectFail("delisted", types.ErrDatasetInactive, renew(buyer, rent.LicenseId))
}

func TestTransferLicense(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(100, true), rental(2, 10)))
	id2 := s.list(listMsg(owner, perpetual(100, false)))
	tr := s.buy(buyer, id, 0)
	nt := s.buy(buyer, id2, 0)
	transfer := func(from string, lid uint64, to string) func() error {
		return func() error {
			_, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: from, LicenseId: lid, Recipient: to})
			return err
		}
	}
	s.expectFail("to self", types.ErrInvalidRequest, transfer(buyer, tr.LicenseId, buyer))
	s.expectFail("bad recipient", types.ErrInvalidRequest, transfer(buyer, tr.LicenseId, "aic1x"))
	s.expectFail("not found", types.ErrLicenseNotFound, transfer(buyer, 77, other))
	s.expectFail("wrong signer", types.ErrUnauthorized, transfer(other, tr.LicenseId, owner))
	s.expectFail("not transferable", types.ErrNotTransferable, transfer(buyer, nt.LicenseId, other))

	if err := transfer(buyer, tr.LicenseId, other)(); err != nil {
		t.Fatal(err)
	}
	if s.access(id, buyer).HasAccess || !s.access(id, other).HasAccess {
		t.Fatal("access did not move with the licence")
	}
	s.holdersExact() // the buyer held no other licence of the dataset: its pair left
	res, err := s.q.Licenses(s.ta.Ctx, &types.QueryLicensesRequest{Licensee: other})
	if err != nil || len(res.Licenses) != 1 || res.Licenses[0].Id != tr.LicenseId {
		t.Fatalf("licensee index after transfer: %+v, %v", res, err)
	}
	res, err = s.q.Licenses(s.ta.Ctx, &types.QueryLicensesRequest{Licensee: buyer})
	if err != nil || len(res.Licenses) != 1 || res.Licenses[0].Id != nt.LicenseId {
		t.Fatalf("old licensee's index after transfer: %+v, %v", res, err)
	}

	// An expired transferable rental cannot be transferred.
	m := listMsg(owner, types.LicenseOffer{Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: 1, Price: coins(5), Transferable: true})
	m.Sha256 = shaOf("r")
	id3 := s.list(m)
	r := s.buy(buyer, id3, 0)
	s.ta.NextBlock()
	s.expectFail("expired", types.ErrLicenseExpired, transfer(buyer, r.LicenseId, other))
}

// holdersExact checks that LicenseHolders is exactly the (dataset,
// licensee) pairs of the stored licences.
func (s *suite) holdersExact() {
	s.t.Helper()
	want := map[string]bool{}
	err := s.k.Licenses.Walk(s.ta.Ctx, nil, func(_ uint64, l types.License) (bool, error) {
		want[fmt.Sprintf("%d/%s", l.DatasetId, l.Licensee)] = true
		return false, nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	got := map[string]bool{}
	err = s.k.LicenseHolders.Walk(s.ta.Ctx, nil, func(p collections.Pair[uint64, string]) (bool, error) {
		got[fmt.Sprintf("%d/%s", p.K1(), p.K2())] = true
		return false, nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		s.t.Fatalf("licence holders %v, the licences' pairs %v", got, want)
	}
}
