package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// BeginBlocker runs the sampling draw of every job whose result was submitted
// in an earlier block, with this block's header hash (at most
// max_queue_items_per_block per block; the rest carry over).
func (k Keeper) BeginBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	_, err = drainQueue(ctx, k, k.SampleQueue, h-1, int(params.MaxQueueItemsPerBlock), k.decideSample)
	return err
}

// EndBlocker drains the height-keyed queues up to the current height: commit
// ends, auction closes, execution deadlines, challenge and verification ends,
// and bond returns. Its cost is O(due entries), capped at
// max_queue_items_per_block per block with carry-over; open jobs that are not
// due are never read.
func (k Keeper) EndBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	budget := int(params.MaxQueueItemsPerBlock)
	for _, q := range []struct {
		queue HeightQueue
		fn    func(context.Context, uint64) error
	}{
		{k.CommitEndQueue, k.endCommitPhase},
		{k.RevealEndQueue, k.closeAuction},
		{k.ExecDeadlineQueue, k.execTimeout},
		{k.ChallengeEndQueue, k.endChallenge},
		{k.VerificationEndQueue, k.endVerification},
	} {
		if budget <= 0 {
			return nil
		}
		n, err := drainQueue(ctx, k, q.queue, h, budget, q.fn)
		if err != nil {
			return err
		}
		budget -= n
	}
	if budget <= 0 {
		return nil
	}
	_, err = drainQueue(ctx, k, k.UnbondingQueue, h, budget, k.completeUnbonding)
	return err
}

// drainQueue removes and handles up to limit entries with height <= upTo.
// Each entry runs in a cache context written only on success; a failing entry
// is logged and dropped so that one bad job cannot halt the chain.
func drainQueue[K any](ctx context.Context, k Keeper, q collections.KeySet[collections.Pair[int64, K]], upTo int64, limit int,
	fn func(context.Context, K) error,
) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	it, err := q.Iterate(ctx, collections.NewPrefixUntilPairRange[int64, K](upTo))
	if err != nil {
		return 0, err
	}
	var due []collections.Pair[int64, K]
	for ; it.Valid() && len(due) < limit; it.Next() {
		key, err := it.Key()
		if err != nil {
			it.Close()
			return 0, err
		}
		due = append(due, key)
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	for _, key := range due {
		if err := q.Remove(ctx, key); err != nil {
			return 0, err
		}
		cacheCtx, write := sdkCtx.CacheContext()
		if err := fn(cacheCtx, key.K2()); err != nil {
			k.Logger(ctx).Error("queue entry failed and was dropped", "height", key.K1(), "id", key.K2(), "err", err)
			continue
		}
		write()
	}
	return len(due), nil
}
