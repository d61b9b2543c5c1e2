package keeper_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/datamarket/keeper"
	"github.com/aichain/aichain/x/datamarket/types"
)

const denom = app.BondDenom

type suite struct {
	t     *testing.T
	ta    *apptesting.TestApp
	k     keeper.Keeper
	ms    types.MsgServer
	q     types.QueryServer
	owner apptesting.Account
	buyer apptesting.Account
	other apptesting.Account
	pool  sdk.AccAddress
}

func setup(t *testing.T) *suite {
	t.Helper()
	ta := apptesting.Setup(t, 3)
	k := ta.DataMarketKeeper
	return &suite{
		t: t, ta: ta, k: k, ms: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k),
		owner: ta.Accounts[0], buyer: ta.Accounts[1], other: ta.Accounts[2],
		pool: authtypes.NewModuleAddress(common.RewardPoolName),
	}
}

func coins(n int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin(denom, n)) }

func rental(blocks uint64, price int64) types.LicenseOffer {
	return types.LicenseOffer{Kind: types.LICENSE_KIND_RENTAL, DurationBlocks: blocks, Price: coins(price)}
}

func subscription(blocks uint64, price int64) types.LicenseOffer {
	return types.LicenseOffer{Kind: types.LICENSE_KIND_SUBSCRIPTION, PeriodBlocks: blocks, Price: coins(price)}
}

func perpetual(price int64, transferable bool) types.LicenseOffer {
	return types.LicenseOffer{Kind: types.LICENSE_KIND_PERPETUAL, Price: coins(price), Transferable: transferable}
}

func perJob(price int64) types.LicenseOffer {
	return types.LicenseOffer{Kind: types.LICENSE_KIND_PER_JOB, Price: coins(price)}
}

func shaOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func rootOf(s string) []byte {
	h := sha256.Sum256([]byte("root:" + s))
	return h[:]
}

func listMsg(owner string, offers ...types.LicenseOffer) *types.MsgListDataset {
	return &types.MsgListDataset{
		Owner: owner, Name: "iris", Description: "150 flowers", Format: types.FormatNpyF32,
		Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf(owner), Sha256: shaOf(owner),
		Uri: "http://127.0.0.1:8090", Offers: offers,
	}
}

func (s *suite) list(msg *types.MsgListDataset) uint64 {
	s.t.Helper()
	res, err := s.ms.ListDataset(s.ta.Ctx, msg)
	if err != nil {
		s.t.Fatalf("list dataset: %v", err)
	}
	return res.DatasetId
}

func (s *suite) buy(buyer string, id uint64, offer uint32) *types.MsgPurchaseLicenseResponse {
	s.t.Helper()
	res, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id, OfferIndex: offer})
	if err != nil {
		s.t.Fatalf("purchase: %v", err)
	}
	return res
}

func (s *suite) access(id uint64, addr string) *types.QueryHasAccessResponse {
	s.t.Helper()
	res, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: addr})
	if err != nil {
		s.t.Fatalf("has access: %v", err)
	}
	return res
}

// snapshot captures the module's whole state and the balances of the given
// addresses, so that a failed Msg can be shown to have changed nothing.
type snapshot struct {
	state    []byte
	balances []math.Int
}

func (s *suite) snap(addrs ...sdk.AccAddress) snapshot {
	s.t.Helper()
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	bz, err := s.ta.AppCodec().MarshalJSON(gs)
	if err != nil {
		s.t.Fatal(err)
	}
	snap := snapshot{state: bz}
	for _, a := range append(addrs, s.pool, s.owner.Address, s.buyer.Address, s.other.Address) {
		snap.balances = append(snap.balances, s.ta.Balance(a, denom))
	}
	return snap
}

func (s *suite) unchanged(before snapshot, what string, addrs ...sdk.AccAddress) {
	s.t.Helper()
	after := s.snap(addrs...)
	if !bytes.Equal(before.state, after.state) {
		s.t.Fatalf("%s: module state changed:\nbefore %s\nafter  %s", what, before.state, after.state)
	}
	for i := range before.balances {
		if !before.balances[i].Equal(after.balances[i]) {
			s.t.Fatalf("%s: balance %d changed: %s -> %s", what, i, before.balances[i], after.balances[i])
		}
	}
}

// expectFail runs f, requires an error wrapping want, and requires that no
// state or balance changed.
func (s *suite) expectFail(what string, want error, f func() error) {
	s.t.Helper()
	before := s.snap()
	err := f()
	if err == nil {
		s.t.Fatalf("%s: accepted, want %v", what, want)
	}
	if want != nil && !errors.Is(err, want) {
		s.t.Fatalf("%s: got %v, want %v", what, err, want)
	}
	// Users see the registered code, not "undefined" code 1: the SDK finds
	// it through Cause(), which only errorsmod wrapping provides.
	var registered *errorsmod.Error
	if errors.As(want, &registered) {
		space, code, _ := errorsmod.ABCIInfo(err, false)
		if space != registered.Codespace() || code != registered.ABCICode() {
			s.t.Fatalf("%s: %v reaches users as %s/%d, want %s/%d", what, err, space, code, registered.Codespace(), registered.ABCICode())
		}
	}
	s.unchanged(before, what)
}

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

func hasEvent(ctx sdk.Context, typ string) bool {
	for _, e := range ctx.EventManager().Events() {
		if e.Type == typ {
			return true
		}
	}
	return false
}

func TestUpdateAndDelistDataset(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	id := s.list(listMsg(owner, perpetual(100, false), subscription(100, 10)))
	perp := s.buy(buyer, id, 0)
	sub := s.buy(other, id, 1)

	upd := &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 200, Cols: 4, RowsPerChunk: 20,
		ContentRoot: rootOf("v2"), Sha256: shaOf("v2"), Uri: "http://x",
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
	s.expectFail("update with same sha", types.ErrInvalidDataset, func() error {
		m := *upd
		m.Sha256 = shaOf(owner)
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
	if _, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: buyer, Version: 3}); !errors.Is(err, types.ErrVersionNotFound) {
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
		_, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{Buyer: newcomer.String(), DatasetId: id})
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
		{"bad buyer", types.ErrInvalidRequest, types.MsgPurchaseLicense{Buyer: "x", DatasetId: id}},
		{"zero dataset", types.ErrInvalidRequest, types.MsgPurchaseLicense{Buyer: buyer}},
		{"unknown dataset", types.ErrDatasetNotFound, types.MsgPurchaseLicense{Buyer: buyer, DatasetId: 9}},
		{"offer out of range", types.ErrInvalidOffer, types.MsgPurchaseLicense{Buyer: s.other.String(), DatasetId: id, OfferIndex: 2}},
		{"per-job offer", types.ErrInvalidOffer, types.MsgPurchaseLicense{Buyer: s.other.String(), DatasetId: id, OfferIndex: 1}},
		{"owner buys", types.ErrInvalidRequest, types.MsgPurchaseLicense{Buyer: owner, DatasetId: id}},
		{"already licensed", types.ErrAlreadyLicensed, types.MsgPurchaseLicense{Buyer: buyer, DatasetId: id}},
		{"insufficient funds", types.ErrInsufficientFunds, types.MsgPurchaseLicense{Buyer: poor.String(), DatasetId: id}},
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
	if _, err := s.k.DatasetTermsForJob(s.ta.Ctx, id, buyer); !errors.Is(err, types.ErrNoLicense) {
		t.Fatalf("terms after expiry: %v", err)
	}
	// Transfer of an expired licence is refused even if transferable (it is not here either).
	renew, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId})
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
		Owner: owner, DatasetId: id, Rows: 10, Cols: 2, RowsPerChunk: 5, ContentRoot: rootOf("b"), Sha256: shaOf("b"),
	}); err != nil {
		t.Fatal(err)
	}
	before := s.ta.Balance(s.buyer.Address, denom)
	renew, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: buyer, LicenseId: res.LicenseId})
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
			_, err := s.ms.RenewLicense(s.ta.Ctx, &types.MsgRenewLicense{Licensee: who, LicenseId: lid})
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

func TestUpdateParams(t *testing.T) {
	s := setup(t)
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	p := types.DefaultParams()
	p.MarketFeeBps = 1000
	s.expectFail("wrong authority", types.ErrUnauthorized, func() error {
		_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: s.owner.String(), Params: p})
		return err
	})
	bad := p
	bad.MarketFeeBps = 10_001
	s.expectFail("fee above 100%", types.ErrInvalidParams, func() error {
		_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
		return err
	})
	bad = p
	bad.MaxExpiriesPerBlock = 0
	s.expectFail("zero expiry cap", types.ErrInvalidParams, func() error {
		_, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: bad})
		return err
	})
	if _, err := s.ms.UpdateParams(s.ta.Ctx, &types.MsgUpdateParams{Authority: gov, Params: p}); err != nil {
		t.Fatal(err)
	}
	got, err := s.q.Params(s.ta.Ctx, &types.QueryParamsRequest{})
	if err != nil || got.Params.MarketFeeBps != 1000 {
		t.Fatalf("params: %+v, %v", got, err)
	}
	// The new fee applies: 10% of 1000.
	id := s.list(listMsg(s.owner.String(), perpetual(1000, false)))
	before := s.ta.Balance(s.pool, denom)
	s.buy(s.buyer.String(), id, 0)
	if d := s.ta.Balance(s.pool, denom).Sub(before); !d.Equal(math.NewInt(100)) {
		t.Fatalf("pool got %s, want 100", d)
	}
}

// TestSplitRoundingConserves buys licences at random prices from datasets
// with random shares: the buyer pays exactly the price, and the pool and the
// shares receive exactly the price between them (no coin lost or created).
func TestSplitRoundingConserves(t *testing.T) {
	s := setup(t)
	r := rand.New(rand.NewSource(42))
	for trial := 0; trial < 25; trial++ {
		n := 1 + r.Intn(6)
		accs := make([]apptesting.Account, n)
		shares := make([]common.Share, n)
		for i := range shares {
			accs[i] = s.ta.NewAccount(coins(1))
			shares[i] = common.Share{Address: accs[i].String(), Weight: uint32(1 + r.Intn(1000))}
		}
		price := 1 + r.Int63n(1_000_003)
		m := listMsg(s.owner.String(), perpetual(price, false))
		m.Sha256 = shaOf(fmt.Sprint("trial", trial))
		m.Shares = shares
		id := s.list(m)
		buyer := s.ta.NewAccount(coins(price))
		before := make([]math.Int, n)
		for i, a := range accs {
			before[i] = s.ta.Balance(a.Address, denom)
		}
		poolBefore := s.ta.Balance(s.pool, denom)
		s.buy(buyer.String(), id, 0)
		if !s.ta.Balance(buyer.Address, denom).IsZero() {
			t.Fatalf("trial %d: buyer kept %s", trial, s.ta.Balance(buyer.Address, denom))
		}
		received := s.ta.Balance(s.pool, denom).Sub(poolBefore)
		if want := common.FeePart(coins(price), types.DefaultMarketFeeBps).AmountOf(denom); !received.Equal(want) {
			t.Fatalf("trial %d: pool got %s, want %s", trial, received, want)
		}
		for i, a := range accs {
			received = received.Add(s.ta.Balance(a.Address, denom).Sub(before[i]))
		}
		if !received.Equal(math.NewInt(price)) {
			t.Fatalf("trial %d: %d shares received %s in all, price %d", trial, n, received, price)
		}
	}
}

func TestDatasetTermsForJob(t *testing.T) {
	s := setup(t)
	owner, buyer, other := s.owner.String(), s.buyer.String(), s.other.String()
	noJob := s.list(listMsg(owner, perpetual(100, false)))
	m := listMsg(owner, perpetual(100, false), perJob(40))
	m.Sha256 = shaOf("pj")
	withJob := s.list(m)

	if _, err := s.k.DatasetTermsForJob(s.ta.Ctx, 99, buyer); !errors.Is(err, types.ErrDatasetNotFound) {
		t.Fatalf("unknown dataset: %v", err)
	}
	if _, err := s.k.DatasetTermsForJob(s.ta.Ctx, noJob, buyer); !errors.Is(err, types.ErrNoLicense) {
		t.Fatalf("no licence, no PER_JOB: %v", err)
	}
	terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, withJob, buyer)
	if err != nil || !terms.Fee.Equal(coins(40)) || terms.Owner != owner || terms.Rows != 150 || terms.RowsPerChunk != 16 ||
		!bytes.Equal(terms.ContentRoot, m.ContentRoot) || len(terms.Shares) != 1 {
		t.Fatalf("PER_JOB terms: %+v, %v", terms, err)
	}
	if terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, noJob, owner); err != nil || !terms.Fee.IsZero() {
		t.Fatalf("owner's terms: %+v, %v", terms, err)
	}
	s.buy(buyer, noJob, 0)
	s.buy(buyer, withJob, 0)
	for _, id := range []uint64{noJob, withJob} {
		terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, id, buyer)
		if err != nil || !terms.Fee.IsZero() {
			t.Fatalf("licensee's terms on %d: %+v, %v", id, terms, err)
		}
	}
	// A new version: the perpetual licensee keeps using its version 1 for free.
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: withJob, Rows: 8, Cols: 4, RowsPerChunk: 8, ContentRoot: rootOf("v2"), Sha256: shaOf("v2"),
	}); err != nil {
		t.Fatal(err)
	}
	terms, err = s.k.DatasetTermsForJob(s.ta.Ctx, withJob, buyer)
	if err != nil || !terms.Fee.IsZero() || terms.Rows != 150 {
		t.Fatalf("v1 licensee after update: %+v, %v", terms, err)
	}
	if terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, withJob, other); err != nil || terms.Rows != 8 || !terms.Fee.Equal(coins(40)) {
		t.Fatalf("PER_JOB on v2: %+v, %v", terms, err)
	}
	// Delisted: licence holders still may; others may not.
	for _, id := range []uint64{noJob, withJob} {
		if _, err := s.ms.DelistDataset(s.ta.Ctx, &types.MsgDelistDataset{Owner: owner, DatasetId: id}); err != nil {
			t.Fatal(err)
		}
	}
	if terms, err := s.k.DatasetTermsForJob(s.ta.Ctx, noJob, buyer); err != nil || !terms.Fee.IsZero() {
		t.Fatalf("licensee on delisted: %+v, %v", terms, err)
	}
	if _, err := s.k.DatasetTermsForJob(s.ta.Ctx, withJob, other); !errors.Is(err, types.ErrDatasetInactive) {
		t.Fatalf("PER_JOB on delisted: %v", err)
	}
}

func TestPayDatasetFee(t *testing.T) {
	s := setup(t)
	c1, c2 := s.ta.NewAccount(coins(1)), s.ta.NewAccount(coins(1))
	id := s.list(listMsg(s.owner.String(), perJob(1000)))
	from := govtypes.ModuleName // any module account stands in for x/compute's escrow
	if err := s.ta.BankKeeper.SendCoinsFromAccountToModule(s.ta.Ctx, s.other.Address, from, coins(5000)); err != nil {
		t.Fatal(err)
	}
	modAddr := authtypes.NewModuleAddress(from)
	shares := []common.Share{{Address: c1.String(), Weight: 1}, {Address: c2.String(), Weight: 2}}

	snap := s.snap(modAddr, c1.Address, c2.Address)
	if err := s.k.PayDatasetFee(s.ta.Ctx, id, from, sdk.NewCoins(), shares); err != nil {
		t.Fatalf("empty fee: %v", err)
	}
	s.unchanged(snap, "empty fee", modAddr, c1.Address, c2.Address)
	for name, f := range map[string]func() error{
		"too much":  func() error { return s.k.PayDatasetFee(s.ta.Ctx, id, from, coins(5001), shares) },
		"unknown":   func() error { return s.k.PayDatasetFee(s.ta.Ctx, 99, from, coins(10), shares) },
		"no shares": func() error { return s.k.PayDatasetFee(s.ta.Ctx, id, from, coins(10), nil) },
		"invalid coins": func() error {
			return s.k.PayDatasetFee(s.ta.Ctx, id, from, sdk.Coins{{Denom: "x", Amount: math.NewInt(-1)}}, shares)
		},
		"empty module": func() error { return s.k.PayDatasetFee(s.ta.Ctx, id, "distribution", coins(10), shares) },
		"bad share addr": func() error {
			return s.k.PayDatasetFee(s.ta.Ctx, id, from, coins(10), []common.Share{{Address: "x", Weight: 1}})
		},
	} {
		snap := s.snap(modAddr, c1.Address, c2.Address)
		if err := f(); err == nil {
			t.Fatalf("%s: accepted", name)
		}
		s.unchanged(snap, name, modAddr, c1.Address, c2.Address)
	}
	poolBefore := s.ta.Balance(s.pool, denom)
	b1, b2 := s.ta.Balance(c1.Address, denom), s.ta.Balance(c2.Address, denom)
	if err := s.k.PayDatasetFee(s.ta.Ctx, id, from, coins(1000), shares); err != nil {
		t.Fatal(err)
	}
	// 1000: 25 to the pool; 975 split 1:2 = 325 / 650.
	if d := s.ta.Balance(s.pool, denom).Sub(poolBefore); !d.Equal(math.NewInt(25)) {
		t.Fatalf("pool got %s", d)
	}
	if d := s.ta.Balance(c1.Address, denom).Sub(b1); !d.Equal(math.NewInt(325)) {
		t.Fatalf("share 1 got %s", d)
	}
	if d := s.ta.Balance(c2.Address, denom).Sub(b2); !d.Equal(math.NewInt(650)) {
		t.Fatalf("share 2 got %s", d)
	}
	if got := s.ta.Balance(modAddr, denom); !got.Equal(math.NewInt(4000)) {
		t.Fatalf("module left with %s, want 4000", got)
	}
	if !hasEvent(s.ta.Ctx, "aichain.datamarket.v1.EventDatasetFeePaid") {
		t.Fatal("no EventDatasetFeePaid")
	}
}

func TestJobAccess(t *testing.T) {
	s := setup(t)
	id := s.list(listMsg(s.owner.String(), perJob(10)))
	provider := s.other.String()
	if s.access(id, provider).HasAccess {
		t.Fatal("provider has access before the grant")
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, 99, 1, provider); !errors.Is(err, types.ErrDatasetNotFound) {
		t.Fatalf("grant on unknown dataset: %v", err)
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, id, 1, "aic1bad"); !errors.Is(err, types.ErrInvalidRequest) {
		t.Fatalf("grant to bad address: %v", err)
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, id, 7, provider); err != nil {
		t.Fatal(err)
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, id, 8, provider); err != nil {
		t.Fatal(err)
	}
	a := s.access(id, provider)
	if !a.HasAccess || a.Reason != "job" || (a.JobId != 7 && a.JobId != 8) {
		t.Fatalf("provider of a live job: %+v", a)
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 7); err != nil {
		t.Fatal(err)
	}
	if a := s.access(id, provider); !a.HasAccess || a.JobId != 8 {
		t.Fatalf("provider with one job left: %+v", a)
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 8); err != nil {
		t.Fatal(err)
	}
	if s.access(id, provider).HasAccess {
		t.Fatal("provider keeps access after its jobs ended")
	}
	if err := s.k.RevokeJobAccess(s.ta.Ctx, id, 8); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
}

// TestExpiryQueueCap: with max_expiries_per_block = 2, five licences due at
// the same height are marked over three blocks.
func TestExpiryQueueCap(t *testing.T) {
	s := setup(t)
	p := types.DefaultParams()
	p.MaxExpiriesPerBlock = 2
	if err := s.k.Params.Set(s.ta.Ctx, p); err != nil {
		t.Fatal(err)
	}
	id := s.list(listMsg(s.owner.String(), rental(1, 10)))
	var ids []uint64
	for i := 0; i < 5; i++ {
		ids = append(ids, s.buy(s.ta.NewAccount(coins(100)).String(), id, 0).LicenseId)
	}
	expired := func() int {
		n := 0
		for _, lid := range ids {
			l, _ := s.k.GetLicense(s.ta.Ctx, lid)
			if l.Expired {
				n++
			}
		}
		return n
	}
	s.ta.NextBlock() // height h+1 = expiry; its EndBlocker marks 2
	s.ta.NextBlock()
	if n := expired(); n != 2 {
		t.Fatalf("after the first due block: %d marked, want 2", n)
	}
	s.ta.NextBlock()
	if n := expired(); n != 4 {
		t.Fatalf("after the second: %d marked, want 4", n)
	}
	s.ta.NextBlock()
	if n := expired(); n != 5 {
		t.Fatalf("after the third: %d marked, want 5", n)
	}
}

func TestQueries(t *testing.T) {
	s := setup(t)
	owner, other := s.owner.String(), s.other.String()
	for i := 0; i < 3; i++ {
		m := listMsg(owner, perpetual(1, false))
		m.Sha256 = shaOf(fmt.Sprint(i))
		s.list(m)
	}
	m := listMsg(other, perpetual(1, false))
	s.list(m)

	all, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{})
	if err != nil || len(all.Datasets) != 4 {
		t.Fatalf("all datasets: %d, %v", len(all.Datasets), err)
	}
	page, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: owner, Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	if err != nil || len(page.Datasets) != 2 || page.Pagination.NextKey == nil || page.Pagination.Total != 3 {
		t.Fatalf("owner page 1: %+v, %v", page, err)
	}
	page2, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: owner, Pagination: &query.PageRequest{Key: page.Pagination.NextKey}})
	if err != nil || len(page2.Datasets) != 1 || page2.Datasets[0].Id != 3 || page2.Datasets[0].Owner != owner {
		t.Fatalf("owner page 2: %+v, %v", page2, err)
	}
	mine, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: other})
	if err != nil || len(mine.Datasets) != 1 || mine.Datasets[0].Id != 4 {
		t.Fatalf("other's datasets: %+v, %v", mine, err)
	}
	if _, err := s.q.Datasets(s.ta.Ctx, &types.QueryDatasetsRequest{Owner: "bad"}); err == nil {
		t.Fatal("bad owner accepted")
	}
	if _, err := s.q.Dataset(s.ta.Ctx, &types.QueryDatasetRequest{Id: 9}); !errors.Is(err, types.ErrDatasetNotFound) {
		t.Fatalf("unknown dataset: %v", err)
	}
	if _, err := s.q.License(s.ta.Ctx, &types.QueryLicenseRequest{Id: 9}); !errors.Is(err, types.ErrLicenseNotFound) {
		t.Fatalf("unknown licence: %v", err)
	}
	if _, err := s.q.HasAccess(s.ta.Ctx, &types.QueryHasAccessRequest{DatasetId: 1, Address: "bad"}); err == nil {
		t.Fatal("bad address accepted")
	}
	if _, err := s.q.HasAccess(s.ta.Ctx, nil); err == nil {
		t.Fatal("nil request accepted")
	}
	if a := s.access(1, owner); !a.HasAccess || a.Reason != "owner" {
		t.Fatalf("owner access: %+v", a)
	}
	s.buy(s.buyer.String(), 1, 0)
	s.buy(s.buyer.String(), 2, 0)
	ls, err := s.q.Licenses(s.ta.Ctx, &types.QueryLicensesRequest{Licensee: s.buyer.String(), Pagination: &query.PageRequest{Limit: 1}})
	if err != nil || len(ls.Licenses) != 1 || ls.Pagination.NextKey == nil {
		t.Fatalf("licences page: %+v, %v", ls, err)
	}
	all2, err := s.q.Licenses(s.ta.Ctx, &types.QueryLicensesRequest{})
	if err != nil || len(all2.Licenses) != 2 {
		t.Fatalf("all licences: %+v, %v", all2, err)
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	s := setup(t)
	owner, buyer := s.owner.String(), s.buyer.String()
	id := s.list(listMsg(owner, rental(50, 10), subscription(9, 5)))
	s.buy(buyer, id, 0)
	s.buy(s.other.String(), id, 1)
	if _, err := s.ms.UpdateDataset(s.ta.Ctx, &types.MsgUpdateDataset{
		Owner: owner, DatasetId: id, Rows: 10, Cols: 2, RowsPerChunk: 5, ContentRoot: rootOf("b"), Sha256: shaOf("b"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.k.GrantJobAccess(s.ta.Ctx, id, 3, s.other.String()); err != nil {
		t.Fatal(err)
	}
	exported, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := exported.Validate(); err != nil {
		t.Fatalf("exported genesis invalid: %v", err)
	}
	if len(exported.Datasets) != 1 || len(exported.DatasetVersions) != 2 || len(exported.Licenses) != 2 ||
		len(exported.JobAccesses) != 1 || exported.NextDatasetId != 2 || exported.NextLicenseId != 3 {
		t.Fatalf("exported: %+v", exported)
	}

	fresh := apptesting.Setup(t, 1)
	if err := fresh.DataMarketKeeper.InitGenesis(fresh.Ctx, exported); err != nil {
		t.Fatal(err)
	}
	again, err := fresh.DataMarketKeeper.ExportGenesis(fresh.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.ta.AppCodec().MarshalJSON(exported)
	b, _ := s.ta.AppCodec().MarshalJSON(again)
	if !bytes.Equal(a, b) {
		t.Fatalf("round trip differs:\n%s\n%s", a, b)
	}
	// The imported chain behaves the same: indexes and queue were rebuilt.
	fq := keeper.NewQueryServerImpl(fresh.DataMarketKeeper)
	acc, err := fq.HasAccess(fresh.Ctx, &types.QueryHasAccessRequest{DatasetId: id, Address: s.other.String()})
	if err != nil || !acc.HasAccess {
		t.Fatalf("access after import: %+v, %v", acc, err)
	}
	n := 0
	if err := fresh.DataMarketKeeper.ExpiryQueue.Walk(fresh.Ctx, nil, func(collectionsPair) (bool, error) { n++; return false, nil }); err != nil || n != 2 {
		t.Fatalf("queue after import: %d entries, %v", n, err)
	}

	// Invalid genesis states are refused.
	mutations := map[string]func(g *types.GenesisState){
		"duplicate dataset":    func(g *types.GenesisState) { g.Datasets = append(g.Datasets, g.Datasets[0]) },
		"id beyond sequence":   func(g *types.GenesisState) { g.NextDatasetId = 1 },
		"licence of nothing":   func(g *types.GenesisState) { g.Licenses[0].DatasetId = 7 },
		"duplicate licence":    func(g *types.GenesisState) { g.Licenses = append(g.Licenses, g.Licenses[0]) },
		"missing version":      func(g *types.GenesisState) { g.DatasetVersions = g.DatasetVersions[:1] },
		"bad params":           func(g *types.GenesisState) { g.Params.MaxOffers = 0 },
		"job of nothing":       func(g *types.GenesisState) { g.JobAccesses[0].DatasetId = 5 },
		"per-job licence kind": func(g *types.GenesisState) { g.Licenses[0].Kind = types.LICENSE_KIND_PER_JOB },
	}
	for name, mut := range mutations {
		g, err := s.k.ExportGenesis(s.ta.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		mut(g)
		if err := g.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatalf("default genesis: %v", err)
	}
}
