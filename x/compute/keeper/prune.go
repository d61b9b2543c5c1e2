package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// A terminal job is pruned retention_blocks after it closed: the job (and
// its index entries), its commitments and its revealed bids are deleted, so
// that state does not grow with every job ever run. closeJob files it in
// PruneQueue at closed_height + retention_blocks; the EndBlocker drains the
// queue with modkit.DrainDue under its own per-block budget. The Stats that
// explorers read keep counting it: jobs_per_state is not decremented (a
// pruned job stays counted in its terminal state), fees and slashes are
// totals already, and jobs_pruned counts the pruned jobs (CheckInvariants:
// stored terminal jobs + pruned = the terminal counters).

// pruneJob deletes a terminal job whose retention has passed, with its
// commitments and bids, close_batch_size of each per block (a job takes any
// number of commitments): a job with more left is filed again at h + 1 (its
// sweep's resume_height). A cancelled job whose commitments are still being
// released has no prune entry until the release ends (endRelease).
func (k Keeper) pruneJob(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || !job.State.IsTerminal() {
		return ignoreNotFound(err)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	due, ok := pruneKey(job, params)
	if !ok {
		return nil // its release's end files it again
	}
	if early, err := filedEarly(ctx, k.PruneQueue, due, due, id); err != nil || early {
		return err
	}
	n := int(params.CloseBatchSize)
	commitsLeft, err := clearSome(ctx, k.BidCommits, id, n)
	if err != nil {
		return err
	}
	bidsLeft, err := clearSome(ctx, k.Bids, id, n)
	if err != nil {
		return err
	}
	if commitsLeft || bidsLeft {
		next := sdk.UnwrapSDKContext(ctx).BlockHeight() + 1
		job.Sweep.ResumeHeight = next
		if err := k.saveJob(ctx, job.State, job); err != nil {
			return err
		}
		return k.PruneQueue.Set(ctx, pair(next, id))
	}
	if err := k.removeJob(ctx, job); err != nil {
		return err
	}
	s, err := k.getStats(ctx)
	if err != nil {
		return err
	}
	s.JobsPruned++
	if err := k.Stats.Set(ctx, s); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventJobPruned{
		JobId: id, State: job.State, ClosedHeight: job.ClosedHeight,
	})
}

// clearSome deletes up to n entries of job id from m (its commitments or
// bids); more reports that some are left.
func clearSome[V any](ctx context.Context, m collections.Map[collections.Pair[uint64, string], V], id uint64, n int) (more bool, err error) {
	it, err := m.Iterate(ctx, collections.NewPrefixedPairRange[uint64, string](id))
	if err != nil {
		return false, err
	}
	var keys []collections.Pair[uint64, string]
	for ; it.Valid() && len(keys) <= n; it.Next() {
		key, err := it.Key()
		if err != nil {
			it.Close()
			return false, err
		}
		keys = append(keys, key)
	}
	it.Close()
	if more = len(keys) > n; more {
		keys = keys[:n]
	}
	for _, key := range keys {
		if err := m.Remove(ctx, key); err != nil {
			return false, err
		}
	}
	return more, nil
}
