package modkit_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/aichain/aichain/testutil/events"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	storetypes "cosmossdk.io/store/types"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

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

// TestAttackHugePageLimit: anyone can ask a public node for a page of
// 2^64−1 entries, to make it read and encode a whole collection in one
// request. A page holds at most MaxPageLimit entries, and its next_key
// leads on to the rest; the caller's request is not changed.
func TestAttackHugePageLimit(t *testing.T) {
	e := newEnv(t)
	m := collections.NewMap(e.sb, collections.NewPrefix(1), "items", collections.Uint64Key, collections.Uint64Value)
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	const n = modkit.MaxPageLimit + 5
	for id := uint64(1); id <= n; id++ {
		if err := m.Set(e.ctx, id, id); err != nil {
			t.Fatal(err)
		}
	}
	id := func(k, _ uint64) (uint64, error) { return k, nil }
	req := &query.PageRequest{Limit: math.MaxUint64, CountTotal: true}
	page, res, err := modkit.Paginate(e.ctx, m, req, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != modkit.MaxPageLimit || len(res.NextKey) == 0 || res.Total != n || req.Limit != math.MaxUint64 {
		t.Fatalf("a page of limit 2^64-1: %d entries, next key %x, total %d, request limit now %d; want %d, a next key, %d, unchanged",
			len(page), res.NextKey, res.Total, req.Limit, modkit.MaxPageLimit, n)
	}
	rest, res, err := modkit.Paginate(e.ctx, m, &query.PageRequest{Key: res.NextKey, Limit: math.MaxUint64}, id)
	if err != nil || len(rest) != 5 || rest[0] != modkit.MaxPageLimit+1 || len(res.NextKey) != 0 {
		t.Fatalf("the next page: %v, %v, next key %x", rest, err, res.NextKey)
	}
}
