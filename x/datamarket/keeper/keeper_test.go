package keeper_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

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

// rowsOf is the rows_sha256 the tests give the file of sha256 sha: a file's
// rows are its own unless a test re-frames them.
func rowsOf(sha string) string { return shaOf("rows:" + sha) }

func rootOf(s string) []byte {
	h := sha256.Sum256([]byte("root:" + s))
	return h[:]
}

// listed counts listMsg's messages, so that each lists a file of its own: a
// file belongs to the first dataset that lists it.
var listed int

func listMsg(owner string, offers ...types.LicenseOffer) *types.MsgListDataset {
	listed++
	file := fmt.Sprint(owner, "/", listed)
	return &types.MsgListDataset{
		Owner: owner, Name: "iris", Description: "150 flowers", Format: types.FormatNpyF32,
		Rows: 150, Cols: 4, RowsPerChunk: 16, ContentRoot: rootOf(file), Sha256: shaOf(file),
		RowsSha256: rowsOf(shaOf(file)), Uri: "http://127.0.0.1:8090", Offers: offers,
	}
}

// ample is a max_price no test price reaches, for purchases and renewals
// that a test refuses for another reason (or does not mean to cap).
var ample = sdk.NewInt64Coin(denom, 1_000_000_000_000_000)

// priceCap is what the CLI would sign for an offer: its current price as
// max_price (0uaic for a free offer).
func (s *suite) priceCap(id uint64, offer uint32) sdk.Coin {
	s.t.Helper()
	d, err := s.k.GetDataset(s.ta.Ctx, id)
	if err != nil || int(offer) >= len(d.Offers) || len(d.Offers[offer].Price) > 1 {
		return ample
	}
	if len(d.Offers[offer].Price) == 0 {
		return sdk.NewInt64Coin(denom, 0)
	}
	return d.Offers[offer].Price[0]
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
	res, err := s.ms.PurchaseLicense(s.ta.Ctx, &types.MsgPurchaseLicense{
		Buyer: buyer, DatasetId: id, OfferIndex: offer, MaxPrice: s.priceCap(id, offer),
	})
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

func hasEvent(ctx sdk.Context, typ string) bool {
	for _, e := range ctx.EventManager().Events() {
		if e.Type == typ {
			return true
		}
	}
	return false
}
