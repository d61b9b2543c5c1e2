package modkit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// Drain describes one queue for DrainDue.
type Drain[T, K any] struct {
	// Module and Name identify the queue in logs and EventQueueEntryRetried.
	Module, Name string
	Queue        Queue[T, K]
	// Handle processes one due entry. It must look at the state it needs
	// rather than trust the entry's due time: a retried entry comes back
	// under a later key.
	Handle func(ctx context.Context, id K) error
}

// DrainDue takes up to limit entries of d.Queue due at upTo (when ≤ upTo),
// oldest first, and handles each: the entry is removed, then d.Handle runs
// under a recover. What a successful handler did is written; a handler that
// fails or panics leaves no trace but the entry, re-queued at retryAt (the
// next height, or the current block time for a time-keyed queue: behind
// every entry already due, so that one failing entry cannot starve the
// others) with an EventQueueEntryRetried. An entry is never dropped and a
// failing entry never halts the block. It returns how many entries it took;
// only errors of the queue's own store are returned.
//
// The entries run in one cache context, not one each: a cache context
// wraps every store of the app, and one per entry was ~40 % of an expiring
// job's EndBlocker work. When an entry fails, the batch is discarded, the
// entries before it run again as a batch of their own (on the same state
// they succeed again: handlers are deterministic), the failing entry is
// re-queued, and the entries after it form the next batch. The result is
// the same as one cache context per entry (TestDrainDueSameAsOneCacheEach);
// an entry runs at most twice unless a handler is not deterministic, which
// still ends (every retry is on fewer entries).
//
// When the queue's head shows that nothing is due, DrainDue reads nothing
// else: an idle block costs one read per queue, however many entries wait.
// When it walked the queue, it stores the exact head again (the earliest
// entry left, re-queued ones included), so a head left early by a removed
// entry costs one walk.
func DrainDue[T, K any](ctx context.Context, d Drain[T, K], upTo, retryAt T, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	if idle, err := d.Queue.idleAt(ctx, upTo); err != nil || idle {
		return 0, err
	}
	due, err := dueKeys(ctx, d.Queue, upTo, limit)
	if err != nil {
		return 0, err
	}
	if err := drainKeys(sdk.UnwrapSDKContext(ctx), d, due, retryAt); err != nil {
		return 0, err
	}
	return len(due), d.Queue.resetHead(ctx)
}

// drainKeys handles keys as DrainDue describes: in batches that end at a
// failing entry, which is re-queued at retryAt.
func drainKeys[T, K any](ctx sdk.Context, d Drain[T, K], keys []collections.Pair[T, K], retryAt T) error {
	for len(keys) > 0 {
		failed, herr, err := runBatch(ctx, d, keys)
		if err != nil || herr == nil {
			return err
		}
		if err := drainKeys(ctx, d, keys[:failed], retryAt); err != nil {
			return err
		}
		if err := requeue(ctx, d, keys[failed], retryAt, herr); err != nil {
			return err
		}
		keys = keys[failed+1:]
	}
	return nil
}

// runBatch removes and handles keys in order in one cache context of ctx,
// and writes it when every handler succeeded (herr nil). Otherwise it writes
// nothing and returns the index of the first entry whose handler failed or
// panicked, with its error. err is an error of the queue's own store.
func runBatch[T, K any](ctx sdk.Context, d Drain[T, K], keys []collections.Pair[T, K]) (failed int, herr, err error) {
	cacheCtx, write := CacheContext(ctx)
	for i, key := range keys {
		if err := d.Queue.Remove(cacheCtx, key); err != nil {
			return 0, nil, err
		}
		if herr := handleRecovered(cacheCtx, d.Handle, key.K2()); herr != nil {
			return i, herr, nil
		}
	}
	write()
	return 0, nil, nil
}

// handleRecovered runs handle(ctx, id), returning a panic as an error
// (recovered).
func handleRecovered[K any](ctx context.Context, handle func(context.Context, K) error, id K) error {
	return recovered(func() error { return handle(ctx, id) })
}

// recovered runs fn, returning a panic as an ErrPanicked error that carries
// its value (no stack: the error may reach an event or a result every node
// must agree on). A gas panic (out of gas, gas overflow) is raised again: a
// transaction's gas accounting must see it.
func recovered(fn func() error) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		switch r.(type) {
		case storetypes.ErrorOutOfGas, storetypes.ErrorGasOverflow:
			panic(r)
		}
		err = fmt.Errorf("%w: %v", ErrPanicked, r)
	}()
	return fn()
}

// requeue files a failed entry again at retryAt, logs it and emits an
// EventQueueEntryRetried.
func requeue[T, K any](ctx sdk.Context, d Drain[T, K], key collections.Pair[T, K], retryAt T, herr error) error {
	if err := d.Queue.Remove(ctx, key); err != nil {
		return err
	}
	if err := d.Queue.Set(ctx, collections.Join(retryAt, key.K2())); err != nil {
		return err
	}
	ctx.Logger().Error("queue entry failed; re-queued", "module", d.Module, "queue", d.Name,
		"id", fmt.Sprint(key.K2()), "due", formatWhen(key.K1()), "retry_at", formatWhen(retryAt), "err", herr)
	return EmitTypedEvent(ctx, &common.EventQueueEntryRetried{
		Module: d.Module, Queue: d.Name, Id: fmt.Sprint(key.K2()),
		Due: formatWhen(key.K1()), RetryAt: formatWhen(retryAt), Error: herr.Error(),
	})
}

// dueKeys reads up to limit keys with when ≤ upTo, in key order.
func dueKeys[T, K any](ctx context.Context, q Queue[T, K], upTo T, limit int) ([]collections.Pair[T, K], error) {
	var due []collections.Pair[T, K]
	err := q.Walk(ctx, collections.NewPrefixUntilPairRange[T, K](upTo), func(key collections.Pair[T, K]) (bool, error) {
		due = append(due, key)
		return len(due) >= limit, nil
	})
	return due, err
}

// RunCached runs fn in a cache context of ctx, writing what it did only when
// it returns nil: all or nothing. Panics are not recovered here (a keeper
// method that panics is a bug to surface, not a failure to retry).
func RunCached(ctx context.Context, fn func(context.Context) error) error {
	cacheCtx, write := CacheContext(ctx)
	if err := fn(cacheCtx); err != nil {
		return err
	}
	write()
	return nil
}

// ErrPanicked is the error RunIsolated and DrainDue's handlers return for
// a panic they recovered.
var ErrPanicked = errors.New("panic")

// RunIsolated is RunCached for one entry of a batch that the others must
// outlive (a job's verdict outcome among a block's, which the PreBlocker
// would otherwise drop all together): a panic in fn is an ErrPanicked error
// (recovered), and nothing fn wrote is kept.
func RunIsolated(ctx context.Context, fn func(context.Context) error) error {
	return recovered(func() error { return RunCached(ctx, fn) })
}

func formatWhen(v any) string {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
