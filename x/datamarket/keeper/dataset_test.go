package keeper_test

import (
	"bytes"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/types"
)

func TestListDataset(t *testing.T) {
	s := setup(t)
	owner := s.owner.String()
	id := s.list(listMsg(owner, rental(10, 1000), perpetual(50_000, true)))
	if id != 1 {
		t.Fatalf("first dataset id %d, want 1", id)
	}
	d, err := s.k.GetDataset(s.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 1 || !d.Active || len(d.Shares) != 1 || d.Shares[0].Address != owner || d.Shares[0].Weight != 1 {
		t.Fatalf("dataset after listing: %+v", d)
	}
	v, err := s.k.GetDatasetVersion(s.ta.Ctx, id, 1)
	if err != nil || v.Sha256 != d.Sha256 || !bytes.Equal(v.ContentRoot, d.ContentRoot) {
		t.Fatalf("version 1 record: %+v, %v", v, err)
	}
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventDatasetListed") {
		t.Fatal("no EventDatasetListed")
	}

	bad := func(mut func(m *types.MsgListDataset)) func() error {
		return func() error {
			m := listMsg(owner, rental(10, 1000))
			mut(m)
			_, err := s.ms.ListDataset(s.ta.Ctx, m)
			return err
		}
	}
	long := string(make([]byte, types.DefaultMaxNameLen+1))
	cases := []struct {
		name string
		want error
		mut  func(m *types.MsgListDataset)
	}{
		{"bad owner", types.ErrInvalidRequest, func(m *types.MsgListDataset) { m.Owner = "aic1nope" }},
		{"empty name", types.ErrInvalidDataset, func(m *types.MsgListDataset) { m.Name = " " }},
		{"name too long", types.ErrInvalidDataset, func(m *types.MsgListDataset) { m.Name = "x" + long }},
		{"bad format", types.ErrInvalidDataset, func(m *types.MsgListDataset) { m.Format = "csv" }},
		{"zero rows", types.ErrInvalidDataset, func(m *types.MsgListDataset) { m.Rows = 0 }},
		{"chunk > rows", types.ErrInvalidDataset, func(m *types.MsgListDataset) { m.RowsPerChunk = 151 }},
		{"short root", types.ErrInvalidDataset, func(m *types.MsgListDataset) { m.ContentRoot = m.ContentRoot[:31] }},
		{"bad sha", types.ErrInvalidDataset, func(m *types.MsgListDataset) { m.Sha256 = "ABC" }},
		{"uppercase sha", types.ErrInvalidDataset, func(m *types.MsgListDataset) { m.Sha256 = "A" + m.Sha256[1:] }},
		{"no offers", types.ErrInvalidOffer, func(m *types.MsgListDataset) { m.Offers = nil }},
		{"rental without duration", types.ErrInvalidOffer, func(m *types.MsgListDataset) { m.Offers = []types.LicenseOffer{rental(0, 5)} }},
		{"perpetual with duration", types.ErrInvalidOffer, func(m *types.MsgListDataset) {
			o := perpetual(5, false)
			o.DurationBlocks = 3
			m.Offers = []types.LicenseOffer{o}
		}},
		{"unknown kind", types.ErrInvalidOffer, func(m *types.MsgListDataset) { m.Offers = []types.LicenseOffer{{Kind: 9}} }},
		{"two per-job", types.ErrInvalidOffer, func(m *types.MsgListDataset) { m.Offers = []types.LicenseOffer{perJob(1), perJob(2)} }},
		{"transferable per-job", types.ErrInvalidOffer, func(m *types.MsgListDataset) {
			o := perJob(1)
			o.Transferable = true
			m.Offers = []types.LicenseOffer{o}
		}},
		{"negative price", types.ErrInvalidOffer, func(m *types.MsgListDataset) {
			m.Offers = []types.LicenseOffer{{Kind: types.LICENSE_KIND_PERPETUAL, Price: sdk.Coins{{Denom: denom, Amount: math.NewInt(-1)}}}}
		}},
		{"term too long", types.ErrInvalidOffer, func(m *types.MsgListDataset) {
			m.Offers = []types.LicenseOffer{rental(types.DefaultMaxTermBlocks+1, 1)}
		}},
		{"duplicate shares", types.ErrInvalidShares, func(m *types.MsgListDataset) {
			m.Shares = []common.Share{{Address: owner, Weight: 1}, {Address: owner, Weight: 2}}
		}},
		{"zero weight", types.ErrInvalidShares, func(m *types.MsgListDataset) { m.Shares = []common.Share{{Address: owner}} }},
	}
	for _, c := range cases {
		s.expectFail(c.name, c.want, bad(c.mut))
	}
}

func listedDataset(t *testing.T, s *suite, id uint64) types.Dataset {
	t.Helper()
	d, err := s.k.GetDataset(s.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestUpdateAndDelistDataset(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(100, false), subscription(100, 10)))
	perp := s.buy(buyer, id, 0)
	sub := s.buy(other, id, 1)

	upd := &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 200, Cols: 4, RowsPerChunk: 20,
		ContentRoot: rootOf("v2"), Sha256: shaOf("v2"), RowsSha256: rowsOf(shaOf("v2")), Uri: "http://x",
	}
	s.expectFail("update by non-owner", types.ErrUnauthorized, func() error {
		m := *upd
		m.Owner = buyer
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &m)
		return err
	})
	s.expectFail("update unknown dataset", types.ErrDatasetNotFound, func() error {
		m := *upd
		m.DatasetId = 99
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &m)
		return err
	})
	listedSha := listedDataset(t, s, id).Sha256
	s.expectFail("update with same sha", types.ErrInvalidDataset, func() error {
		m := *upd
		m.Sha256 = listedSha
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &m)
		return err
	})
	s.expectFail("update with bad content", types.ErrInvalidDataset, func() error {
		m := *upd
		m.RowsPerChunk = 0
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &m)
		return err
	})

	res, err := s.ms.UpdateDataset(s.ta.Ctx, upd)
	if err != nil || res.Version != 2 {
		t.Fatalf("update: %v, %+v", err, res)
	}
	d, _ := s.k.GetDataset(s.ta.Ctx, id)
	if d.Rows != 200 || d.Sha256 != shaOf("v2") || len(d.Offers) != 2 {
		t.Fatalf("dataset after update: %+v", d)
	}
	if v1, err := s.k.GetDatasetVersion(s.ta.Ctx, id, 1); err != nil || v1.Rows != 150 {
		t.Fatalf("version 1 must be kept: %+v, %v", v1, err)
	}
	// The subscription covers version 2; the perpetual licence stays on version 1.
	if a := s.access(id, other); !a.HasAccess || a.LicenseId != sub.LicenseId || a.Version != 2 {
		t.Fatalf("subscriber on v2: %+v", a)
	}
	if a := s.access(id, buyer); a.HasAccess {
		t.Fatalf("perpetual v1 licensee must not read v2: %+v", a)
	}
	a, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: buyer, Version: 1})
	if err != nil || !a.HasAccess || a.LicenseId != perp.LicenseId {
		t.Fatalf("perpetual licensee on v1: %+v, %v", a, err)
	}
	if _, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: buyer, Version: 3}); status.Code(err) != codes.NotFound {
		t.Fatalf("version 3: %v", err)
	}
	// The perpetual licensee may now buy v2.
	s.buy(buyer, id, 0)

	s.expectFail("delist by non-owner", types.ErrUnauthorized, func() error {
		_, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: buyer, DatasetId: id})
		return err
	})
	s.expectFail("delist unknown", types.ErrDatasetNotFound, func() error {
		_, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: owner, DatasetId: 42})
		return err
	})
	if _, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: owner, DatasetId: id}); err != nil {
		t.Fatal(err)
	}
	s.expectFail("delist twice", types.ErrDatasetInactive, func() error {
		_, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: owner, DatasetId: id})
		return err
	})
	s.expectFail("update delisted", types.ErrDatasetInactive, func() error {
		m := *upd
		m.Sha256 = shaOf("v3")
		_, err := s.ms.UpdateDataset(s.ta.Ctx, &m)
		return err
	})
	newcomer := s.ta.NewAccount(coins(1_000_000))
	s.expectFail("buy delisted", types.ErrDatasetInactive, func() error {
		_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: newcomer.String(), DatasetId: id, MaxPrice: ample})
		return err
	})
	// Licences stay valid after delisting.
	if a := s.access(id, other); !a.HasAccess {
		t.Fatalf("subscriber lost access on delisting: %+v", a)
	}
	if a := s.access(id, buyer); !a.HasAccess {
		t.Fatalf("perpetual licensee lost access on delisting: %+v", a)
	}
}
