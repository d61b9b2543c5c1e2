package modkit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aichain/aichain/testutil/events"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/internal/modkit"
)

const codespace = "modkit_test"

var (
	errShares = errorsmod.Register(codespace, 2, "invalid shares")
	errFunds  = errorsmod.Register(codespace, 3, "insufficient funds")
	errSigner = errorsmod.Register(codespace, 4, "invalid authority")
	errAddr   = errorsmod.Register(codespace, 5, "invalid address")
)

type env struct {
	ctx     sdk.Context
	service store.KVStoreService
	sb      *collections.SchemaBuilder
}

func newEnv(t *testing.T) env {
	t.Helper()
	key := storetypes.NewKVStoreKey("test")
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient")).Ctx.WithBlockHeight(10)
	service := runtime.NewKVStoreService(key)
	return env{ctx: ctx, service: service, sb: collections.NewSchemaBuilder(service)}
}

// TestDrainDueFailurePolicy drains a queue in which one handler fails and one
// panics: the others' writes are kept, the failing ones' writes are not, and
// both are re-queued at the retry height with an event each — never dropped.
func TestDrainDueFailurePolicy(t *testing.T) {
	e := newEnv(t)
	q := modkit.NewQueue(e.sb, collections.NewPrefix(1), "q", modkit.NewQueueHeads(e.sb, collections.NewPrefix(3)),
		collections.Int64Key, collections.Uint64Key)
	done := collections.NewKeySet(e.sb, collections.NewPrefix(2), "done", collections.Uint64Key)
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []collections.Pair[int64, uint64]{
		collections.Join[int64, uint64](3, 1), collections.Join[int64, uint64](5, 2), collections.Join[int64, uint64](5, 3),
		collections.Join[int64, uint64](9, 4), collections.Join[int64, uint64](10, 5), collections.Join[int64, uint64](11, 6),
	} {
		if err := q.Set(e.ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	var order []uint64
	d := modkit.Drain[int64, uint64]{
		Module: "test", Name: "q", Queue: q,
		Handle: func(ctx context.Context, id uint64) error {
			order = append(order, id)
			if err := done.Set(ctx, id); err != nil {
				return err
			}
			switch id {
			case 2:
				return errors.New("boom")
			case 4:
				panic("kaboom")
			}
			return nil
		},
	}
	n, err := modkit.DrainDue(e.ctx, d, 10, 11, 4)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("took %d entries, want the limit 4", n)
	}
	if want := []uint64{1, 2, 3, 4}; !equal(firstTries(order), want) {
		t.Fatalf("handled %v, want %v (oldest first, capped)", order, want)
	}
	for id, want := range map[uint64]bool{1: true, 2: false, 3: true, 4: false, 5: false} {
		if got, _ := done.Has(e.ctx, id); got != want {
			t.Errorf("entry %d's write kept = %t, want %t", id, got, want)
		}
	}
	var left []collections.Pair[int64, uint64]
	if err := q.Walk(e.ctx, nil, func(k collections.Pair[int64, uint64]) (bool, error) { left = append(left, k); return false, nil }); err != nil {
		t.Fatal(err)
	}
	want := []collections.Pair[int64, uint64]{
		collections.Join[int64, uint64](10, 5), collections.Join[int64, uint64](11, 2),
		collections.Join[int64, uint64](11, 4), collections.Join[int64, uint64](11, 6),
	}
	if len(left) != len(want) {
		t.Fatalf("queue holds %v, want %v", left, want)
	}
	for i := range want {
		if left[i].K1() != want[i].K1() || left[i].K2() != want[i].K2() {
			t.Fatalf("queue holds %v, want %v", left, want)
		}
	}
	evs := events.Typed[common.EventQueueEntryRetried](t, e.ctx)
	if len(evs) != 2 || evs[0].Id != "2" || evs[0].Due != "5" || evs[0].RetryAt != "11" || evs[0].Error != "boom" ||
		evs[1].Id != "4" || evs[1].Error != "panic: kaboom" {
		t.Fatalf("retry events %+v", evs)
	}
}

// firstTries is ids in the order each was first handled: DrainDue runs the
// entries before a failing one a second time (TestDrainDueSameAsOneCacheEach).
func firstTries(ids []uint64) []uint64 {
	var out []uint64
	seen := map[uint64]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type item struct {
	ID    uint64
	Owner string
}

type itemIndexes struct {
	Owner *indexes.Multi[string, uint64, uint64]
}

func (i itemIndexes) IndexesList() []collections.Index[uint64, uint64] {
	return []collections.Index[uint64, uint64]{i.Owner}
}

// TestPaginateRef pages one owner's entries through an index view: key
// continuation, offset, totals, and the status codes of bad requests and of
// load failures.
func TestPaginateRef(t *testing.T) {
	e := newEnv(t)
	ownerOf := func(v uint64) string { return []string{"alice", "bob"}[v%2] }
	m := collections.NewIndexedMap(e.sb, collections.NewPrefix(1), "items", collections.Uint64Key, collections.Uint64Value,
		itemIndexes{Owner: indexes.NewMulti(e.sb, collections.NewPrefix(2), "items_by_owner", collections.StringKey, collections.Uint64Key,
			func(_ uint64, v uint64) (string, error) { return ownerOf(v), nil })})
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	view := modkit.IndexView(e.service, collections.NewPrefix(2), "items_by_owner", collections.StringKey, collections.Uint64Key)
	for id := uint64(1); id <= 9; id++ {
		if err := m.Set(e.ctx, id, id); err != nil {
			t.Fatal(err)
		}
	}
	load := func(ctx context.Context, id uint64) (item, error) {
		v, err := m.Get(ctx, id)
		return item{ID: v, Owner: ownerOf(v)}, err
	}
	var got []uint64
	req := &query.PageRequest{Limit: 2, CountTotal: true}
	for {
		page, res, err := modkit.PaginateRef(e.ctx, view, "alice", req, load)
		if err != nil {
			t.Fatal(err)
		}
		if req.CountTotal && res.Total != 4 {
			t.Fatalf("total %d, want 4 (alice owns 2, 4, 6, 8)", res.Total)
		}
		for _, it := range page {
			if it.Owner != "alice" {
				t.Fatalf("page holds %+v", it)
			}
			got = append(got, it.ID)
		}
		if len(res.NextKey) == 0 {
			break
		}
		req = &query.PageRequest{Key: res.NextKey, Limit: 2}
	}
	if !equal(got, []uint64{2, 4, 6, 8}) {
		t.Fatalf("paged %v", got)
	}
	page, _, err := modkit.PaginateRef(e.ctx, view, "bob", &query.PageRequest{Offset: 3}, load)
	if err != nil || len(page) != 2 || page[0].ID != 7 {
		t.Fatalf("offset 3 of bob's: %+v, %v", page, err)
	}
	_, _, err = modkit.PaginateRef(e.ctx, view, "bob", &query.PageRequest{Offset: 1, Key: []byte{1}}, load)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("key and offset together: %v, want InvalidArgument", err)
	}
	_, _, err = modkit.PaginateRef(e.ctx, view, "bob", nil, func(context.Context, uint64) (item, error) {
		return item{}, errors.New("store broke")
	})
	if status.Code(err) != codes.Internal {
		t.Fatalf("load failure: %v, want Internal", err)
	}
	all, _, err := modkit.Paginate(e.ctx, m, &query.PageRequest{Limit: 100}, func(k, _ uint64) (uint64, error) { return k, nil })
	if err != nil || len(all) != 9 {
		t.Fatalf("whole map: %v, %v", all, err)
	}
}

// storeBank is a bank over a collections map, so that cache contexts apply
// to it as they do to x/bank.
type storeBank struct {
	balances collections.Map[collections.Pair[[]byte, string], math.Int]
	blocked  map[string]bool
	failTo   string // a recipient whose send fails
}

func (b storeBank) move(ctx context.Context, from, to sdk.AccAddress, amt sdk.Coins) error {
	if to.String() == b.failTo {
		return errors.New("send refused")
	}
	for _, c := range amt {
		have, err := b.balances.Get(ctx, collections.Join([]byte(from), c.Denom))
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return err
		}
		if have.IsNil() || have.LT(c.Amount) {
			return errors.New("insufficient funds")
		}
		if err := b.balances.Set(ctx, collections.Join([]byte(from), c.Denom), have.Sub(c.Amount)); err != nil {
			return err
		}
		got, err := b.balances.Get(ctx, collections.Join([]byte(to), c.Denom))
		if errors.Is(err, collections.ErrNotFound) {
			got = math.ZeroInt()
		} else if err != nil {
			return err
		}
		if err := b.balances.Set(ctx, collections.Join([]byte(to), c.Denom), got.Add(c.Amount)); err != nil {
			return err
		}
	}
	return nil
}

func (b storeBank) balance(ctx context.Context, addr sdk.AccAddress, denom string) int64 {
	v, err := b.balances.Get(ctx, collections.Join([]byte(addr), denom))
	if err != nil {
		return 0
	}
	return v.Int64()
}

func (b storeBank) GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewInt64Coin(denom, b.balance(ctx, addr, denom))
}

func (b storeBank) LockedCoins(context.Context, sdk.AccAddress) sdk.Coins { return sdk.NewCoins() }

func (b storeBank) SendCoins(ctx context.Context, from, to sdk.AccAddress, amt sdk.Coins) error {
	return b.move(ctx, from, to, amt)
}

// InputOutputCoins moves output by output, so that a refused recipient
// fails it half done (x/bank's checks first; an all-or-nothing caller must
// not rely on that).
func (b storeBank) InputOutputCoins(ctx context.Context, in banktypes.Input, outs []banktypes.Output) error {
	if err := banktypes.ValidateInputOutputs(in, outs); err != nil {
		return err
	}
	from, err := sdk.AccAddressFromBech32(in.Address)
	if err != nil {
		return err
	}
	for _, o := range outs {
		to, err := sdk.AccAddressFromBech32(o.Address)
		if err != nil {
			return err
		}
		if err := b.move(ctx, from, to, o.Coins); err != nil {
			return err
		}
	}
	return nil
}

func (b storeBank) BlockedAddr(addr sdk.AccAddress) bool { return b.blocked[addr.String()] }

func newBank(t *testing.T, e env) storeBank {
	t.Helper()
	b := storeBank{
		balances: collections.NewMap(e.sb, collections.NewPrefix(9), "balances",
			collections.PairKeyCodec(collections.BytesKey, collections.StringKey), sdk.IntValue),
		blocked: map[string]bool{authtypes.NewModuleAddress("compute").String(): true},
	}
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	return b
}

func acc(n byte) sdk.AccAddress { return sdk.AccAddress(append(make([]byte, 19), n)) }

// TestPayShares pays 1000 with a 2.5% fee over shares 2:1: 25 to the pool,
// 650 and 325 to the shares (the remainder to the first), from an account and
// from a module account.
func TestPayShares(t *testing.T) {
	e := newEnv(t)
	bank := newBank(t, e)
	p := modkit.Payout{Bank: bank, Accounts: modules(), Addresses: addresscodec.NewBech32Codec("cosmos"), ErrShares: errShares, ErrFunds: errFunds}
	buyer, a, b := acc(1), acc(2), acc(3)
	if err := bank.balances.Set(e.ctx, collections.Join([]byte(buyer), "uaic"), math.NewInt(5000)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: a.String(), Weight: 2}, {Address: b.String(), Weight: 1}}
	paid, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000)), 250, shares)
	if err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	for addr, want := range map[string]int64{buyer.String(): 4000, pool.String(): 25, a.String(): 650, b.String(): 325} {
		acct, _ := sdk.AccAddressFromBech32(addr)
		if got := bank.balance(e.ctx, acct, "uaic"); got != want {
			t.Errorf("%s has %d, want %d", addr, got, want)
		}
	}
	if !paid.Fee.Equal(sdk.NewCoins(sdk.NewInt64Coin("uaic", 25))) || len(paid.Parts) != 2 {
		t.Fatalf("paid %+v", paid)
	}
	// From a module account (escrow): the same rule.
	if err := bank.SendCoins(e.ctx, buyer, authtypes.NewModuleAddress("escrow"), sdk.NewCoins(sdk.NewInt64Coin("uaic", 100))); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Pay(e.ctx, modkit.FromModule("escrow"), sdk.NewCoins(sdk.NewInt64Coin("uaic", 100)), 1000, shares); err != nil {
		t.Fatal(err)
	}
	if got := bank.balance(e.ctx, a, "uaic"); got != 650+60 {
		t.Fatalf("first share has %d, want 710 (60 of 90)", got)
	}
}

// TestPayRevenueToModuleAccountRefused: a share naming a blocked module
// account is refused with the module's shares error, and nothing moves.
func TestPayRevenueToModuleAccountRefused(t *testing.T) {
	e := newEnv(t)
	bank := newBank(t, e)
	p := modkit.Payout{Bank: bank, Accounts: modules(), Addresses: addresscodec.NewBech32Codec("cosmos"), ErrShares: errShares, ErrFunds: errFunds}
	buyer := acc(1)
	if err := bank.balances.Set(e.ctx, collections.Join([]byte(buyer), "uaic"), math.NewInt(5000)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: acc(2).String(), Weight: 1}, {Address: authtypes.NewModuleAddress("compute").String(), Weight: 1}}
	_, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000)), 250, shares)
	if !errShares.Is(err) {
		t.Fatalf("got %v, want the shares error", err)
	}
	if got := bank.balance(e.ctx, buyer, "uaic"); got != 5000 {
		t.Fatalf("buyer has %d after a refused payout, want 5000", got)
	}
	if _, err := p.CheckShares(e.ctx, shares); !errShares.Is(err) {
		t.Fatalf("CheckShares: %v", err)
	}
	// Not blocked by the bank, still a module account: the reward pool, and
	// one that only exists in state.
	for _, mod := range []sdk.AccAddress{authtypes.NewModuleAddress(common.RewardPoolName), acc(9)} {
		shares := []common.Share{{Address: acc(2).String(), Weight: 1}, {Address: mod.String(), Weight: 1}}
		if _, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000)), 250, shares); !errShares.Is(err) {
			t.Fatalf("share to module account %s: %v, want the shares error", mod, err)
		}
	}
	if got := bank.balance(e.ctx, buyer, "uaic"); got != 5000 {
		t.Fatalf("buyer has %d after refused payouts, want 5000", got)
	}
}

// TestCheckSharesCanonical: shares come back in the codec's spelling, and
// two spellings of one account are one account.
func TestCheckSharesCanonical(t *testing.T) {
	e := newEnv(t)
	p := modkit.Payout{Bank: newBank(t, e), Accounts: modules(), Addresses: addresscodec.NewBech32Codec("cosmos"), ErrShares: errShares, ErrFunds: errFunds}
	lower := acc(2).String()
	upper := strings.ToUpper(lower)
	got, err := p.CheckShares(e.ctx, []common.Share{{Address: upper, Weight: 3}, {Address: acc(3).String(), Weight: 1}})
	if err != nil || got[0].Address != lower || got[0].Weight != 3 || got[1].Address != acc(3).String() {
		t.Fatalf("canonical shares: %+v, %v", got, err)
	}
	if _, err := p.CheckShares(e.ctx, []common.Share{{Address: upper, Weight: 1}, {Address: lower, Weight: 1}}); !errShares.Is(err) {
		t.Fatalf("one account in two spellings: %v, want the shares error", err)
	}
	p.Accounts = nil
	if _, err := p.CheckShares(e.ctx, []common.Share{{Address: lower, Weight: 1}}); !errShares.Is(err) {
		t.Fatalf("no module-account test: %v, want the shares error", err)
	}
}

// fakeModules is a ModuleAccounts: the app's module names, and acc(9), an
// account stored as a module account.
type fakeModules map[string]bool

func (f fakeModules) IsModuleAccount(_ context.Context, addr sdk.AccAddress) bool {
	return f[string(addr)]
}

func modules() fakeModules {
	f := fakeModules{string(acc(9)): true}
	for _, name := range []string{"compute", "escrow", common.RewardPoolName, "bonded_tokens_pool"} {
		f[string(authtypes.NewModuleAddress(name))] = true
	}
	return f
}

// TestPayAllOrNothing: when a later transfer fails, the earlier ones are
// undone; when the payer cannot cover the amount, the funds error is returned.
func TestPayAllOrNothing(t *testing.T) {
	e := newEnv(t)
	bank := newBank(t, e)
	buyer, a, b := acc(1), acc(2), acc(3)
	bank.failTo = b.String()
	p := modkit.Payout{Bank: bank, Accounts: modules(), Addresses: addresscodec.NewBech32Codec("cosmos"), ErrShares: errShares, ErrFunds: errFunds}
	if err := bank.balances.Set(e.ctx, collections.Join([]byte(buyer), "uaic"), math.NewInt(5000)); err != nil {
		t.Fatal(err)
	}
	shares := []common.Share{{Address: a.String(), Weight: 1}, {Address: b.String(), Weight: 1}}
	if _, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 1000)), 250, shares); err == nil {
		t.Fatal("a failed share transfer was not reported")
	}
	for addr, want := range map[string]int64{buyer.String(): 5000, a.String(): 0} {
		acct, _ := sdk.AccAddressFromBech32(addr)
		if got := bank.balance(e.ctx, acct, "uaic"); got != want {
			t.Errorf("%s has %d after a failed payout, want %d", addr, got, want)
		}
	}
	bank.failTo = ""
	p.Bank = bank
	if _, err := p.Pay(e.ctx, modkit.FromAccount(buyer), sdk.NewCoins(sdk.NewInt64Coin("uaic", 6000)), 250, shares); !errFunds.Is(err) {
		t.Fatalf("overdraft: %v, want the funds error", err)
	}
}

func TestCheckAuthorityAndSigner(t *testing.T) {
	ac := addresscodec.NewBech32Codec("cosmos")
	gov := authtypes.NewModuleAddress("gov").String()
	if err := modkit.CheckAuthority(gov, gov, errSigner); err != nil {
		t.Fatal(err)
	}
	if err := modkit.CheckAuthority(gov, acc(1).String(), errSigner); !errSigner.Is(err) {
		t.Fatalf("got %v", err)
	}
	if _, err := modkit.Signer(ac, "owner", "nope", errAddr); !errAddr.Is(err) {
		t.Fatalf("got %v", err)
	}
	if a, err := modkit.Signer(ac, "owner", acc(7).String(), errAddr); err != nil || !a.Equals(acc(7)) {
		t.Fatalf("got %v, %v", a, err)
	}
}

// fakeAuth is an x/auth keeper with two declared module accounts and one
// module account stored at an address no declared name gives.
type fakeAuth struct{ stored sdk.AccAddress }

func (f fakeAuth) GetAccount(_ context.Context, addr sdk.AccAddress) sdk.AccountI {
	if addr.Equals(f.stored) {
		return authtypes.NewModuleAccount(authtypes.NewBaseAccountWithAddress(addr), "legacy")
	}
	return authtypes.NewBaseAccountWithAddress(addr)
}

func (fakeAuth) GetModulePermissions() map[string]authtypes.PermissionsForAddress {
	return map[string]authtypes.PermissionsForAddress{
		common.RewardPoolName: authtypes.NewPermissionsForAddress(common.RewardPoolName, nil),
		"bonded_tokens_pool":  authtypes.NewPermissionsForAddress("bonded_tokens_pool", []string{authtypes.Staking}),
	}
}

// TestNewModuleAccounts: declared module accounts count whether created or
// not, a stored module account counts, a user account does not.
func TestNewModuleAccounts(t *testing.T) {
	e := newEnv(t)
	m := modkit.NewModuleAccounts(fakeAuth{stored: acc(5)})
	for addr, want := range map[string]bool{
		string(authtypes.NewModuleAddress(common.RewardPoolName)): true,
		string(authtypes.NewModuleAddress("bonded_tokens_pool")):  true,
		string(acc(5)): true,
		string(acc(6)): false,
	} {
		if got := m.IsModuleAccount(e.ctx, sdk.AccAddress(addr)); got != want {
			t.Errorf("%s: module account = %t, want %t", sdk.AccAddress(addr), got, want)
		}
	}
}
