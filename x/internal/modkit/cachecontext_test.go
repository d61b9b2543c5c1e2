package modkit_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"cosmossdk.io/log"
	"cosmossdk.io/store"
	"cosmossdk.io/store/metrics"
	storetypes "cosmossdk.io/store/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
)

// rootWithStores is a committed multistore of n IAVL stores (as many as
// the app has) and a block context over a branch of it.
func rootWithStores(t testing.TB, n int) (storetypes.CommitMultiStore, []storetypes.StoreKey) {
	t.Helper()
	keys := make([]storetypes.StoreKey, n)
	for i := range keys {
		keys[i] = storetypes.NewKVStoreKey(fmt.Sprintf("s%02d", i))
	}
	return rootOver(t, keys), keys
}

// rootOver is such a multistore over the given keys.
func rootOver(t testing.TB, keys []storetypes.StoreKey) storetypes.CommitMultiStore {
	t.Helper()
	rs := store.NewCommitMultiStore(dbm.NewMemDB(), log.NewNopLogger(), metrics.NewNoOpMetrics())
	for _, k := range keys {
		rs.MountStoreWithDB(k, storetypes.StoreTypeIAVL, nil)
	}
	if err := rs.LoadLatestVersion(); err != nil {
		t.Fatal(err)
	}
	// Some state to read through to.
	for i, k := range keys {
		s := rs.GetKVStore(k)
		for j := range 20 {
			s.Set(fmt.Appendf(nil, "k%02d", j), fmt.Appendf(nil, "root-%d-%d", i, j))
		}
	}
	rs.Commit()
	return rs
}

func blockCtx(rs storetypes.CommitMultiStore) sdk.Context {
	return sdk.NewContext(rs.CacheMultiStore(), cmtproto.Header{Height: 2}, false, log.NewNopLogger()).
		WithGasMeter(storetypes.NewInfiniteGasMeter())
}

type frame struct {
	ctx   sdk.Context
	write func()
}

// TestLazyCacheContextIsTheSDKs runs one random sequence of reads, writes,
// deletes, iterations, events and nested branches (each written or
// discarded) on two copies of a 25-store state, one branching with
// sdk.Context.CacheContext and one with modkit.CacheContext: every read and
// iteration, the gas consumed, the events and the committed app hash are
// the same.
func TestLazyCacheContextIsTheSDKs(t *testing.T) {
	for seed := range uint64(8) {
		rsA, keys := rootWithStores(t, 25)
		rsB := rootOver(t, keys)
		if !bytes.Equal(rsA.LastCommitID().Hash, rsB.LastCommitID().Hash) {
			t.Fatal("copies differ before the test")
		}
		a, b := []frame{{ctx: blockCtx(rsA)}}, []frame{{ctx: blockCtx(rsB)}}
		r := rand.New(rand.NewPCG(seed, 7))
		key := func() []byte { return fmt.Appendf(nil, "k%02d", r.IntN(30)) }
		for step := range 3000 {
			ca, cb := a[len(a)-1].ctx, b[len(b)-1].ctx
			sk := keys[r.IntN(3)] // mostly a few stores, as a payout touches
			if r.IntN(4) == 0 {
				sk = keys[r.IntN(len(keys))]
			}
			switch op := r.IntN(20); {
			case op < 6:
				k, v := key(), fmt.Appendf(nil, "v%d", step)
				ca.KVStore(sk).Set(k, v)
				cb.KVStore(sk).Set(k, v)
			case op < 8:
				k := key()
				ca.KVStore(sk).Delete(k)
				cb.KVStore(sk).Delete(k)
			case op < 12:
				k := key()
				if va, vb := ca.KVStore(sk).Get(k), cb.KVStore(sk).Get(k); !bytes.Equal(va, vb) {
					t.Fatalf("seed %d step %d: get %s/%s: %q vs %q", seed, step, sk.Name(), k, va, vb)
				}
			case op < 14:
				lo, hi := key(), key()
				if bytes.Compare(lo, hi) > 0 {
					lo, hi = hi, lo
				}
				rev := r.IntN(2) == 0
				if ia, ib := iterate(ca.KVStore(sk), lo, hi, rev), iterate(cb.KVStore(sk), lo, hi, rev); !slices.Equal(ia, ib) {
					t.Fatalf("seed %d step %d: iterate %s: %q vs %q", seed, step, sk.Name(), ia, ib)
				}
			case op < 15:
				ev := sdk.NewEvent("e", sdk.NewAttribute("step", fmt.Sprint(step)))
				ca.EventManager().EmitEvent(ev)
				cb.EventManager().EmitEvent(ev)
			case op < 17 && len(a) < 4:
				na, wa := ca.CacheContext()
				nb, wb := modkit.CacheContext(cb)
				a, b = append(a, frame{na, wa}), append(b, frame{nb, wb})
			case op < 20 && len(a) > 1:
				if r.IntN(3) > 0 {
					a[len(a)-1].write()
					b[len(b)-1].write()
				}
				a, b = a[:len(a)-1], b[:len(b)-1]
			}
		}
		for len(a) > 1 {
			a[len(a)-1].write()
			b[len(b)-1].write()
			a, b = a[:len(a)-1], b[:len(b)-1]
		}
		if ga, gb := a[0].ctx.GasMeter().GasConsumed(), b[0].ctx.GasMeter().GasConsumed(); ga != gb || ga == 0 {
			t.Fatalf("seed %d: gas %d vs %d", seed, ga, gb)
		}
		if ea, eb := a[0].ctx.EventManager().Events(), b[0].ctx.EventManager().Events(); len(ea) == 0 || fmt.Sprint(ea) != fmt.Sprint(eb) {
			t.Fatalf("seed %d: %d events vs %d", seed, len(ea), len(eb))
		}
		a[0].ctx.MultiStore().(storetypes.CacheMultiStore).Write()
		b[0].ctx.MultiStore().(storetypes.CacheMultiStore).Write()
		ha, hb := rsA.Commit().Hash, rsB.Commit().Hash
		if !bytes.Equal(ha, hb) {
			t.Fatalf("seed %d: app hash %X vs %X", seed, ha, hb)
		}
	}
}

func iterate(s storetypes.KVStore, lo, hi []byte, reverse bool) []string {
	var it storetypes.Iterator
	if reverse {
		it = s.ReverseIterator(lo, hi)
	} else {
		it = s.Iterator(lo, hi)
	}
	defer it.Close()
	var out []string
	for ; it.Valid(); it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	return out
}

// TestLazyCacheContextDiscards: a branch not written changes nothing, and
// a branch's events reach the parent only when it is written.
func TestLazyCacheContextDiscards(t *testing.T) {
	rs, keys := rootWithStores(t, 3)
	ctx := blockCtx(rs)
	cc, _ := modkit.CacheContext(ctx)
	cc.KVStore(keys[0]).Set([]byte("new"), []byte("x"))
	cc.EventManager().EmitEvent(sdk.NewEvent("dropped"))
	if ctx.KVStore(keys[0]).Has([]byte("new")) || len(ctx.EventManager().Events()) != 0 {
		t.Fatal("an unwritten branch leaked")
	}
	cc, write := modkit.CacheContext(ctx)
	cc.KVStore(keys[1]).Set([]byte("new"), []byte("y"))
	cc.EventManager().EmitEvent(sdk.NewEvent("kept"))
	if ctx.KVStore(keys[1]).Has([]byte("new")) {
		t.Fatal("written before write()")
	}
	write()
	if got := ctx.KVStore(keys[1]).Get([]byte("new")); string(got) != "y" || len(ctx.EventManager().Events()) != 1 {
		t.Fatalf("after write: %q, %d events", got, len(ctx.EventManager().Events()))
	}
}

// TestLazyCacheContextTracesThroughTheSDK: where the root store traces,
// the branch is the SDK's, and the writes are traced.
func TestLazyCacheContextTracesThroughTheSDK(t *testing.T) {
	rs, keys := rootWithStores(t, 3)
	var trace bytes.Buffer
	rs.SetTracer(&trace)
	ctx := blockCtx(rs)
	cc, write := modkit.CacheContext(ctx)
	cc.KVStore(keys[2]).Set([]byte("traced"), []byte("z"))
	write()
	ctx.MultiStore().(storetypes.CacheMultiStore).Write()
	if !bytes.Contains(trace.Bytes(), []byte(`"operation":"write"`)) {
		t.Fatalf("no write traced: %q", trace.String())
	}
}

// BenchmarkCacheContext: a branch of a 25-store state that writes two
// stores, then is written, with the SDK's branch and the lazy one.
func BenchmarkCacheContext(b *testing.B) {
	rs, keys := rootWithStores(b, 25)
	ctx := blockCtx(rs)
	for _, c := range []struct {
		name   string
		branch func(sdk.Context) (sdk.Context, func())
	}{
		{"sdk", func(c sdk.Context) (sdk.Context, func()) { return c.CacheContext() }},
		{"modkit", func(c sdk.Context) (sdk.Context, func()) { return modkit.CacheContext(c) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cc, write := c.branch(ctx)
				cc.KVStore(keys[0]).Set([]byte("a"), []byte("1"))
				cc.KVStore(keys[1]).Set([]byte("b"), []byte("2"))
				write()
			}
		})
	}
}
