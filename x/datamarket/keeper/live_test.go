package keeper_test

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"testing"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

// liveExact checks that LiveLicenses holds exactly one entry for each
// licence not marked expired, under its dataset, licensee, expiry (a
// perpetual one's as the largest height) and id.
func (s *suite) liveExact(ctx sdk.Context) {
	s.t.Helper()
	want := map[string]bool{}
	err := s.k.Licenses.Walk(ctx, nil, func(_ uint64, l types.License) (bool, error) {
		if !l.Expired {
			exp := l.ExpiresHeight
			if exp == 0 {
				exp = math.MaxInt64
			}
			want[fmt.Sprintf("%d/%s/%d/%d", l.DatasetId, l.Licensee, exp, l.Id)] = true
		}
		return false, nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	got := map[string]bool{}
	err = s.k.LiveLicenses.Walk(ctx, nil, func(k collections.Pair[collections.Pair[uint64, string], collections.Pair[int64, uint64]]) (bool, error) {
		got[fmt.Sprintf("%d/%s/%d/%d", k.K1().K1(), k.K1().K2(), k.K2().K1(), k.K2().K2())] = true
		return false, nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		s.t.Fatalf("live licences %v, want %v", got, want)
	}
}

// TestLiveLicencesFollowEveryChange: a licence is filed in LiveLicenses
// when bought, moves with a transfer, leaves when the EndBlocker marks it
// expired, comes back when renewed, and is refiled under its rebased expiry
// for a zero-height export.
func TestLiveLicencesFollowEveryChange(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, rental(2, 10), perpetual(100, true)))
	r := s.buy(buyer, id, 0)
	p := s.buy(buyer, id, 1)
	s.liveExact(s.ta.Ctx)
	if _, err := s.ms.TransferLicense(s.ta.Ctx, &types.MsgTransferLicense{Licensee: buyer, LicenseId: p.LicenseId, Recipient: other}); err != nil {
		t.Fatal(err)
	}
	s.liveExact(s.ta.Ctx)
	if a := s.access(id, other); !a.HasAccess || a.LicenseId != p.LicenseId {
		t.Fatalf("the recipient's access: %+v", a)
	}
	for range 3 { // bought at h, expires at h + 2, marked by that block's EndBlocker
		s.ta.NextBlock()
	}
	if l, err := s.k.GetLicense(s.ta.Ctx, r.LicenseId); err != nil || !l.Expired {
		t.Fatalf("the rental two blocks on: %+v, %v", l, err)
	}
	s.liveExact(s.ta.Ctx)
	if a := s.access(id, buyer); a.HasAccess {
		t.Fatalf("the expired renter's access: %+v", a)
	}
	if _, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: r.LicenseId, MaxPrice: s.priceCap(id, 0)}); err != nil {
		t.Fatal(err)
	}
	s.liveExact(s.ta.Ctx)
	if a := s.access(id, buyer); !a.HasAccess || a.LicenseId != r.LicenseId {
		t.Fatalf("the renewed renter's access: %+v", a)
	}
	ctx, _ := s.ta.Ctx.CacheContext()
	if err := s.k.PrepareForZeroHeight(ctx); err != nil {
		t.Fatal(err)
	}
	s.liveExact(ctx)
}

// TestMigrate3to4: a version-3 store has no LiveLicenses. Read as version 4
// without the migration, every licensee would look as if it held nothing;
// the migration files every licence not marked expired, and no other.
func TestMigrate3to4(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(100, true), rental(2, 10)))
	s.buy(other, id, 1)
	for range 3 {
		s.ta.NextBlock()
	}
	s.buy(buyer, id, 0)
	s.buy(buyer, id, 1)
	// The version-3 store.
	if err := s.k.LiveLicenses.Clear(s.ta.Ctx, nil); err != nil {
		t.Fatal(err)
	}
	if s.access(id, buyer).HasAccess {
		t.Fatal("without the migration the licensee should look licence-less, to show what it fixes")
	}

	if err := keeper.NewMigrator(s.k).Migrate3to4(s.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	s.liveExact(s.ta.Ctx)
	if a := s.access(id, buyer); !a.HasAccess || a.Reason != "license" {
		t.Fatalf("the licensee's access after the migration: %+v", a)
	}
	if a := s.access(id, other); a.HasAccess {
		t.Fatalf("the expired renter's access after the migration: %+v", a)
	}
	_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id, OfferIndex: 0, MaxPrice: s.priceCap(id, 0)})
	if !errors.Is(err, types.ErrAlreadyLicensed) {
		t.Fatalf("a second perpetual licence after the migration: %v, want ErrAlreadyLicensed", err)
	}
}
