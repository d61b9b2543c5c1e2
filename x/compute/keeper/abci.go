package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// BeginBlocker runs the sampling draws due at this height (at most
// max_queue_items_per_block per block; the rest carry over). The sample
// queue is keyed by the draw's height (decide_height: after the beacons it
// combines are final, which the PreBlocker made them before this), so at
// height h it is drained up to h; a draw that fails is retried under key
// h + 1, in the next block. Entries filed before decide_height existed are
// keyed by the submission height and fall due in the same way.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	_, err = modkit.DrainDue(ctx, drain(k.SampleQueue, k.decideSample), h, h+1, int(params.MaxQueueItemsPerBlock))
	return err
}

// EndBlocker drains the height-keyed queues up to the current height h:
// commit ends, auction closes (and cancelled jobs' releases, close_batch_size
// commitments an entry: sweep.go), execution deadlines, challenge and
// verification ends, prunings and bond returns. Each queue has a budget of
// its own, max_queue_items_per_block entries per block with carry-over, so
// that a backlog in one (say, thousands of spam jobs closing their commit
// phase at once) cannot delay another's deadlines; and the auction phases
// are by height (CommitBid, RevealBid), so a backlog in the commit-end queue
// cannot close a reveal window either. The cost is O(due entries); open jobs
// that are not due are never read. Each entry runs in a cache context of its
// own (modkit.DrainDue); one that fails is re-queued at h + 1 with an
// EventQueueEntryRetried, never dropped, and never halts the block.
func (k Keeper) EndBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	budget := int(params.MaxQueueItemsPerBlock)
	for _, d := range []modkit.Drain[int64, uint64]{
		drain(k.CommitEndQueue, k.endCommitPhase),
		drain(k.RevealEndQueue, k.sweepJob),
		drain(k.ExecDeadlineQueue, k.execTimeout),
		drain(k.ChallengeEndQueue, k.endChallenge),
		drain(k.VerificationEndQueue, k.endVerification),
		drain(k.PruneQueue, k.pruneJob),
	} {
		if _, err := modkit.DrainDue(ctx, d, h, h+1, budget); err != nil {
			return err
		}
	}
	_, err = modkit.DrainDue(ctx, drain(k.UnbondingQueue, k.completeUnbonding), h, h+1, budget)
	return err
}

// drain describes one of the module's height-keyed queues for
// modkit.DrainDue, named by its schema name. The handler looks at the state
// it needs (the job's state, the provider's status), never at the entry's
// height: a retried entry comes back under a later one.
func drain[K any](q modkit.Queue[int64, K], handle func(context.Context, K) error) modkit.Drain[int64, K] {
	return modkit.Drain[int64, K]{
		Module: types.ModuleName,
		Name:   q.Name(),
		Queue:  q,
		Handle: handle,
	}
}

// filedEarly keeps the handlers' rule that an entry is handled at or after
// the deadline stored on its job or provider, whatever its key: an entry that
// falls due before height dueAt is filed again at key (the deadline's key)
// and filedEarly reports true. The module files entries at their deadline
// and DrainDue re-queues failed ones later, so a running chain never files
// one early; this guards the rule for any other writer of a queue.
func filedEarly[K any](ctx context.Context, q modkit.Queue[int64, K], key, dueAt int64, id K) (bool, error) {
	if sdk.UnwrapSDKContext(ctx).BlockHeight() >= dueAt {
		return false, nil
	}
	return true, q.Set(ctx, collections.Join(key, id))
}
