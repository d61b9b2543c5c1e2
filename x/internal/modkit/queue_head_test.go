package modkit_test

import (
	"context"
	"errors"
	"math/rand"
	"testing"
	"time"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
)

type hq = collections.Pair[int64, uint64]

// TestQueueHeadSameAsWalking runs a long random mix of inserts (earlier and
// later than the head), removals, clears and drains with failing handlers on
// a queue with a head, and on a plain key set drained by walking it every
// block as before heads: every block handles the same entries in the same
// order, the two hold the same entries, and the head never passes an entry.
func TestQueueHeadSameAsWalking(t *testing.T) {
	e := newEnv(t)
	q := modkit.NewQueue(e.sb, collections.NewPrefix(1), "q", modkit.NewQueueHeads(e.sb, collections.NewPrefix(2)),
		collections.Int64Key, collections.Uint64Key)
	ref := collections.NewKeySet(e.sb, collections.NewPrefix(3), "ref", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key))
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(20))
	fails := func(id uint64, h int64) bool { return (id*31+uint64(h))%11 == 0 }
	var nextID uint64
	idle := 0
	for h := int64(1); h <= 3000; h++ {
		ctx := e.ctx.WithBlockHeight(h)
		for range rng.Intn(4) {
			nextID++
			// Mostly a while ahead, sometimes right away or in the past
			// (a genesis import, a rebase): before any head.
			when := h + int64(rng.Intn(60)) - 3
			if err := q.Set(ctx, collections.Join(when, nextID)); err != nil {
				t.Fatal(err)
			}
			if err := ref.Set(ctx, collections.Join(when, nextID)); err != nil {
				t.Fatal(err)
			}
		}
		if rng.Intn(5) == 0 { // a job settled early takes its entry out
			if k, ok := firstOf(t, ctx, ref, rng.Intn(20)); ok {
				mustRemove(t, ctx, q.KeySet, k)
				mustRemove(t, ctx, ref, k)
			}
		}
		if h%997 == 0 {
			if err := q.Clear(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if err := ref.Clear(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}
		var got []uint64
		n, err := modkit.DrainDue(ctx, modkit.Drain[int64, uint64]{Module: "test", Name: "q", Queue: q,
			Handle: func(_ context.Context, id uint64) error {
				got = append(got, id)
				if fails(id, h) {
					return errors.New("fails this block")
				}
				return nil
			},
		}, h, h+1, 5)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			idle++
		}
		want := walkDrain(t, ctx, ref, h, 5, fails)
		if !equal(firstTries(got), want) {
			t.Fatalf("height %d: handled %v, walking handles %v", h, got, want)
		}
		if err := q.CheckHead(ctx); err != nil {
			t.Fatalf("height %d: %v", h, err)
		}
	}
	if a, b := keysOf(t, e.ctx, q.KeySet), keysOf(t, e.ctx, ref); len(a) != len(b) {
		t.Fatalf("queue holds %d entries, the walked one %d", len(a), len(b))
	}
	if idle < 300 {
		t.Fatalf("only %d idle blocks: the mix does not exercise the head", idle)
	}
}

// newHeightQueue is a (height, id) queue "q" under prefix 1, its heads under
// prefix 2, in a schema built.
func newHeightQueue(t *testing.T) (env, modkit.Queue[int64, uint64], modkit.QueueHeads) {
	t.Helper()
	e := newEnv(t)
	heads := modkit.NewQueueHeads(e.sb, collections.NewPrefix(2))
	q := modkit.NewQueue(e.sb, collections.NewPrefix(1), "q", heads, collections.Int64Key, collections.Uint64Key)
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	return e, q, heads
}

// walkDrain is DrainDue without a head: walk every entry due at h, up to
// limit, handle it and re-queue a failed one at h + 1.
func walkDrain(t *testing.T, ctx context.Context, ref collections.KeySet[hq], h int64, limit int, fails func(uint64, int64) bool) []uint64 {
	t.Helper()
	var due []hq
	if err := ref.Walk(ctx, collections.NewPrefixUntilPairRange[int64, uint64](h), func(k hq) (bool, error) {
		due = append(due, k)
		return len(due) >= limit, nil
	}); err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, k := range due {
		mustRemove(t, ctx, ref, k)
		ids = append(ids, k.K2())
		if fails(k.K2(), h) {
			if err := ref.Set(ctx, collections.Join(h+1, k.K2())); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

func firstOf(t *testing.T, ctx context.Context, ks collections.KeySet[hq], skip int) (hq, bool) {
	t.Helper()
	var key hq
	found := false
	if err := ks.Walk(ctx, nil, func(k hq) (bool, error) {
		key, found = k, true
		skip--
		return skip < 0, nil
	}); err != nil {
		t.Fatal(err)
	}
	return key, found
}

func mustRemove(t *testing.T, ctx context.Context, ks collections.KeySet[hq], k hq) {
	t.Helper()
	if err := ks.Remove(ctx, k); err != nil {
		t.Fatal(err)
	}
}

func keysOf(t *testing.T, ctx context.Context, ks collections.KeySet[hq]) []hq {
	t.Helper()
	it, err := ks.Iterate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := it.Keys()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestQueueHeadIdleBlockReadsOnlyTheHead: once the queue knows its head, a
// block in which nothing is due costs exactly the gas of reading the head,
// however many entries wait (no iterator is opened); a queue without a
// stored head (a new or upgraded chain) is walked once and then knows it.
func TestQueueHeadIdleBlockReadsOnlyTheHead(t *testing.T) {
	e, q, heads := newHeightQueue(t)
	for id := uint64(1); id <= 500; id++ {
		if err := q.Set(e.ctx, collections.Join(int64(100+id), id)); err != nil {
			t.Fatal(err)
		}
	}
	d := modkit.Drain[int64, uint64]{Module: "test", Name: "q", Queue: q,
		Handle: func(context.Context, uint64) error { t.Fatal("nothing is due"); return nil }}
	metered := func() sdk.Context { return e.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()) }

	first := metered()
	if _, err := modkit.DrainDue(first, d, 50, 51, 10); err != nil {
		t.Fatal(err)
	}
	if has, err := heads.Has(e.ctx, "q"); err != nil || !has {
		t.Fatalf("no head stored after the first walk (%v)", err)
	}
	idle, read := metered(), metered()
	if _, err := modkit.DrainDue(idle, d, 60, 61, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := heads.Get(read, "q"); err != nil {
		t.Fatal(err)
	}
	if g, want := idle.GasMeter().GasConsumed(), read.GasMeter().GasConsumed(); g != want {
		t.Fatalf("idle drain used %d gas, reading the head alone %d", g, want)
	}
	if g := first.GasMeter().GasConsumed(); g <= read.GasMeter().GasConsumed() {
		t.Fatalf("the first (walking) drain used %d gas, no more than a head read", g)
	}
}

// TestQueueHeadTimeKeyed: a block-time queue (staking-rewards' unlocks) whose
// head is a later time still takes an entry filed before it, at its time,
// and a failed one retried at the block time comes due in the next block.
func TestQueueHeadTimeKeyed(t *testing.T) {
	e := newEnv(t)
	q := modkit.NewQueue(e.sb, collections.NewPrefix(1), "unlocks", modkit.NewQueueHeads(e.sb, collections.NewPrefix(2)),
		sdk.TimeKey, collections.Uint64Key)
	if _, err := e.sb.Build(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var got []uint64
	failOnce := map[uint64]bool{2: true}
	d := modkit.Drain[time.Time, uint64]{Module: "test", Name: "unlocks", Queue: q,
		Handle: func(_ context.Context, id uint64) error {
			got = append(got, id)
			if failOnce[id] {
				failOnce[id] = false
				return errors.New("once")
			}
			return nil
		}}
	drainAt := func(now time.Time) {
		t.Helper()
		if _, err := modkit.DrainDue(e.ctx, d, now, now, 10); err != nil {
			t.Fatal(err)
		}
		if err := q.CheckHead(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Set(e.ctx, collections.Join(t0.Add(time.Hour), uint64(1))); err != nil {
		t.Fatal(err)
	}
	drainAt(t0) // the head is now t0 + 1h
	if err := q.Set(e.ctx, collections.Join(t0.Add(time.Minute), uint64(2))); err != nil {
		t.Fatal(err)
	}
	drainAt(t0.Add(30 * time.Second))
	drainAt(t0.Add(time.Minute))       // 2 is due, and fails once
	drainAt(t0.Add(time.Minute + 5e9)) // retried at the last block's time
	drainAt(t0.Add(59 * time.Minute))  // nothing
	drainAt(t0.Add(61 * time.Minute))  // 1
	if !equal(got, []uint64{2, 2, 1}) {
		t.Fatalf("handled %v, want [2 2 1]", got)
	}
}

// TestQueueHeadMalformedHeals: a head that decodes to neither form (only a
// bug could store one) does not halt the block: the drain walks the queue,
// takes what is due and stores a good head; CheckHead reports the bad one.
func TestQueueHeadMalformedHeals(t *testing.T) {
	e, q, heads := newHeightQueue(t)
	if err := q.Set(e.ctx, collections.Join[int64, uint64](5, 1)); err != nil {
		t.Fatal(err)
	}
	if err := heads.Set(e.ctx, "q", []byte{7}); err != nil {
		t.Fatal(err)
	}
	if err := q.CheckHead(e.ctx); err == nil {
		t.Fatal("CheckHead passed a malformed head")
	}
	if err := q.Set(e.ctx, collections.Join[int64, uint64](3, 2)); err != nil {
		t.Fatalf("filing under a malformed head: %v", err)
	}
	var got []uint64
	n, err := modkit.DrainDue(e.ctx, modkit.Drain[int64, uint64]{Module: "test", Name: "q", Queue: q,
		Handle: func(_ context.Context, id uint64) error { got = append(got, id); return nil }}, 4, 5, 10)
	if err != nil || n != 1 || !equal(got, []uint64{2}) {
		t.Fatalf("drain under a malformed head: took %d %v, %v", n, got, err)
	}
	if err := q.CheckHead(e.ctx); err != nil {
		t.Fatalf("the drain did not store a good head: %v", err)
	}
}
