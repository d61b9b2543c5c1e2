package keeper

import (
	"context"

	"cosmossdk.io/collections"

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
// commitments and bids (at most max_bids_per_job of each).
func (k Keeper) pruneJob(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || !job.State.IsTerminal() {
		return ignoreNotFound(err)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	due := pruneHeight(job, params)
	if early, err := filedEarly(ctx, k.PruneQueue, due, due, id); err != nil || early {
		return err
	}
	rng := collections.NewPrefixedPairRange[uint64, string](id)
	if err := k.BidCommits.Clear(ctx, rng); err != nil {
		return err
	}
	if err := k.Bids.Clear(ctx, rng); err != nil {
		return err
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
