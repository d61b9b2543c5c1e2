package modkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/internal/modkit"
)

// batchEnv is one store with a queue and what the test handler writes: a
// running sum, each handled id's view of it, and follow-up queue entries.
type batchEnv struct {
	ctx  sdk.Context
	key  *storetypes.KVStoreKey
	q    modkit.Queue[int64, uint64]
	sum  collections.Item[uint64]
	seen collections.Map[uint64, uint64]
}

func newBatchEnv(t *testing.T) batchEnv {
	t.Helper()
	key := storetypes.NewKVStoreKey("batch")
	ctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_batch")).Ctx.WithBlockHeight(10)
	sb := collections.NewSchemaBuilder(runtime.NewKVStoreService(key))
	e := batchEnv{
		ctx: ctx, key: key,
		q:    modkit.NewQueue(sb, collections.NewPrefix(1), "q", modkit.NewQueueHeads(sb, collections.NewPrefix(2)), collections.Int64Key, collections.Uint64Key),
		sum:  collections.NewItem(sb, collections.NewPrefix(3), "sum", collections.Uint64Value),
		seen: collections.NewMap(sb, collections.NewPrefix(4), "seen", collections.Uint64Key, collections.Uint64Value),
	}
	if _, err := sb.Build(); err != nil {
		t.Fatal(err)
	}
	return e
}

// handle reads and writes state that earlier entries changed (so order and
// what a failed entry leaves behind both show in the result), emits an
// event, sometimes files a later entry, and fails or panics after writing,
// on a rule that depends on the state it reads: deterministic, as handlers
// must be.
func (e batchEnv) handle(ctx context.Context, id uint64) error {
	sum, err := e.sum.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	sum += id
	if err := e.sum.Set(ctx, sum); err != nil {
		return err
	}
	if err := e.seen.Set(ctx, id, sum); err != nil {
		return err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent("handled", sdk.NewAttribute("id", fmt.Sprint(id))))
	if id%4 == 0 {
		if err := e.q.Set(ctx, collections.Join(int64(20+id%3), id+1000)); err != nil {
			return err
		}
	}
	switch {
	case sum%5 == 0:
		return fmt.Errorf("entry %d: sum %d", id, sum)
	case sum%11 == 0:
		panic(fmt.Sprintf("entry %d: sum %d", id, sum))
	}
	return nil
}

// drainOneCacheEach is DrainDue as it was: each entry removed in ctx, then
// handled in a cache context of its own, written only on success; a failed
// one re-queued at retryAt with an event. The reference DrainDue's batches
// must match.
func drainOneCacheEach(ctx sdk.Context, q modkit.Queue[int64, uint64], handle func(context.Context, uint64) error, upTo, retryAt int64, limit int) (int, error) {
	var due []collections.Pair[int64, uint64]
	err := q.Walk(ctx, collections.NewPrefixUntilPairRange[int64, uint64](upTo), func(k collections.Pair[int64, uint64]) (bool, error) {
		due = append(due, k)
		return len(due) >= limit, nil
	})
	if err != nil {
		return 0, err
	}
	for _, key := range due {
		if err := q.Remove(ctx, key); err != nil {
			return 0, err
		}
		cacheCtx, write := ctx.CacheContext()
		herr := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return handle(cacheCtx, key.K2())
		}()
		if herr == nil {
			write()
			continue
		}
		if err := q.Set(ctx, collections.Join(retryAt, key.K2())); err != nil {
			return 0, err
		}
		if err := ctx.EventManager().EmitTypedEvent(&common.EventQueueEntryRetried{
			Module: "test", Queue: "q", Id: fmt.Sprint(key.K2()), Due: fmt.Sprint(key.K1()), RetryAt: fmt.Sprint(retryAt), Error: herr.Error(),
		}); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// TestDrainDueSameAsOneCacheEach drains the same random queues with DrainDue
// (one cache context per batch) and with the per-entry reference, over
// random failures and panics, three blocks each: the stores (but the queue
// head, which only DrainDue keeps) must be byte-identical, the events the
// same, and every drain must take the same number of entries.
func TestDrainDueSameAsOneCacheEach(t *testing.T) {
	failures := 0
	for seed := int64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		batch, ref := newBatchEnv(t), newBatchEnv(t)
		for i, n := 0, 1+rng.Intn(60); i < n; i++ {
			k := collections.Join(int64(1+rng.Intn(12)), uint64(1+rng.Intn(500)))
			for _, e := range []batchEnv{batch, ref} {
				if err := e.q.Set(e.ctx, k); err != nil {
					t.Fatal(err)
				}
			}
		}
		for h := int64(10); h <= 22; h += 6 {
			limit := 1 + rng.Intn(40)
			d := modkit.Drain[int64, uint64]{Module: "test", Name: "q", Queue: batch.q, Handle: batch.handle}
			got, err := modkit.DrainDue(batch.ctx, d, h, h+1, limit)
			if err != nil {
				t.Fatal(err)
			}
			want, err := drainOneCacheEach(ref.ctx, ref.q, ref.handle, h, h+1, limit)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("seed %d height %d: DrainDue took %d entries, the reference %d", seed, h, got, want)
			}
		}
		if a, b := storeDump(t, batch, true), storeDump(t, ref, false); !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: stores differ:\nbatches   %v\nreference %v", seed, a, b)
		}
		a, b := batch.ctx.EventManager().Events(), ref.ctx.EventManager().Events()
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: events differ:\nbatches   %v\nreference %v", seed, a, b)
		}
		for _, ev := range a {
			if ev.Type == proto.MessageName(&common.EventQueueEntryRetried{}) {
				failures++
			}
		}
	}
	if failures < 40 {
		t.Fatalf("only %d entries failed over all seeds: the test does not exercise the batches' failure path", failures)
	}
}

// storeDump is every key and value of e's store; the queue heads' entries
// (prefix 2) are left out when skipHeads.
func storeDump(t *testing.T, e batchEnv, skipHeads bool) []string {
	t.Helper()
	it := e.ctx.KVStore(e.key).Iterator(nil, nil)
	defer it.Close()
	var out []string
	for ; it.Valid(); it.Next() {
		if skipHeads && bytes.HasPrefix(it.Key(), []byte{2}) {
			continue
		}
		out = append(out, fmt.Sprintf("%x=%x", it.Key(), it.Value()))
	}
	return out
}

// TestAttackFailingEntriesMultiplyBlockWork: whoever can make queue entries
// fail (a payee that refuses coins, say) makes DrainDue discard its batch at
// each of them. Every second entry of 200 fails: no handler runs more than
// twice, every good entry's work is kept once, every failing one is
// re-queued, and the handlers run at most 2 × 200 times in all.
func TestAttackFailingEntriesMultiplyBlockWork(t *testing.T) {
	e := newBatchEnv(t)
	const n = 200
	for id := uint64(1); id <= n; id++ {
		if err := e.q.Set(e.ctx, collections.Join(int64(5), id)); err != nil {
			t.Fatal(err)
		}
	}
	runs := map[uint64]int{}
	d := modkit.Drain[int64, uint64]{Module: "test", Name: "q", Queue: e.q, Handle: func(ctx context.Context, id uint64) error {
		runs[id]++
		if err := e.seen.Set(ctx, id, id); err != nil {
			return err
		}
		if id%2 == 0 {
			return errors.New("payee refuses coins")
		}
		return nil
	}}
	if got, err := modkit.DrainDue(e.ctx, d, 10, 11, n); err != nil || got != n {
		t.Fatalf("took %d entries (%v), want %d", got, err, n)
	}
	total := 0
	for id := uint64(1); id <= n; id++ {
		total += runs[id]
		if runs[id] < 1 || runs[id] > 2 {
			t.Fatalf("entry %d ran %d times", id, runs[id])
		}
		kept, err := e.seen.Has(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		requeued, err := e.q.Has(e.ctx, collections.Join(int64(11), id))
		if err != nil {
			t.Fatal(err)
		}
		if good := id%2 == 1; kept != good || requeued == good {
			t.Fatalf("entry %d: work kept %t, re-queued %t", id, kept, requeued)
		}
	}
	if total > 2*n {
		t.Fatalf("handlers ran %d times for %d entries", total, n)
	}
}
