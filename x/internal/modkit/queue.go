package modkit

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"

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
// oldest first, and handles each: the entry is removed, then d.Handle runs in
// a cache context of its own, under a recover. What a successful handler did
// is written; a handler that fails or panics leaves no trace but the entry,
// re-queued at retryAt (the next height, or the current block time for a
// time-keyed queue: behind every entry already due, so that one failing entry
// cannot starve the others) with an EventQueueEntryRetried. An entry is never
// dropped and a failing entry never halts the block. It returns how many
// entries it took; only errors of the queue's own store are returned.
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
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	for _, key := range due {
		if err := d.Queue.Remove(ctx, key); err != nil {
			return 0, err
		}
		herr := runCached(sdkCtx, func(c context.Context) error { return d.Handle(c, key.K2()) })
		if herr == nil {
			continue
		}
		if err := d.Queue.Set(ctx, collections.Join(retryAt, key.K2())); err != nil {
			return 0, err
		}
		sdkCtx.Logger().Error("queue entry failed; re-queued", "module", d.Module, "queue", d.Name,
			"id", fmt.Sprint(key.K2()), "due", formatWhen(key.K1()), "retry_at", formatWhen(retryAt), "err", herr)
		if err := sdkCtx.EventManager().EmitTypedEvent(&common.EventQueueEntryRetried{
			Module: d.Module, Queue: d.Name, Id: fmt.Sprint(key.K2()),
			Due: formatWhen(key.K1()), RetryAt: formatWhen(retryAt), Error: herr.Error(),
		}); err != nil {
			return 0, err
		}
	}
	return len(due), d.Queue.resetHead(ctx)
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

// runCached runs fn in a cache context of ctx and writes it only when fn
// returns nil. A panic in fn is recovered and returned as an error.
func runCached(ctx sdk.Context, fn func(context.Context) error) (err error) {
	cacheCtx, write := ctx.CacheContext()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	if err := fn(cacheCtx); err != nil {
		return err
	}
	write()
	return nil
}

// RunCached runs fn in a cache context of ctx, writing what it did only when
// it returns nil: all or nothing. Panics are not recovered here (a keeper
// method that panics is a bug to surface, not a failure to retry).
func RunCached(ctx context.Context, fn func(context.Context) error) error {
	cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	if err := fn(cacheCtx); err != nil {
		return err
	}
	write()
	return nil
}

func formatWhen(v any) string {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
