package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// PrepareForZeroHeight rebases every height the module stores, with
// common.RebaseHeight and ctx's height as the export height, for a zero-height
// export; app.prepForZeroHeightGenesis calls it before the genesis is
// written. It rewrites:
//   - jobs: commit_end, reveal_end, exec_deadline, challenge_end and
//     verification_end (the deadlines), created_height, closed_height and
//     result.submitted_height (history; submitted_height of a job whose
//     sampling draw has not run yet keys the sample queue, and becomes 0 so
//     that block 1 draws it with its own header hash, as block H+1 would have);
//   - commitments: height (history);
//   - providers: jailed_until (unjailing stays possible after the blocks of
//     jail that were left, at once if the jail was over) and unbonding_end;
//   - providers' stats.last_slash_height, which drives the recent-slash
//     window of SampleRateBps: a provider whose window is still open at the
//     new chain's first block gets 1, so that it is sampled at 100% for one
//     full window from the restart (never fewer blocks than it had left: we
//     err towards verification, since 0 would mean "never slashed" and a
//     negative height is not a height); one whose window had closed gets 0,
//     which yields the same rate (stats.slashed still counts the slash).
//     The window is the largest of the params' in force and of the terms
//     of the live jobs the provider won or is committed on, whose draws
//     read their own terms' window: a cut of the params' window before the
//     export does not reset the slash a job's terms still keep recent
//     (TestAttackZeroHeightExportDropsJobTermsSlashWindow);
//   - the height-keyed queues (commit end, reveal end, exec deadline,
//     challenge end, verification end, sample, unbonding): every key's height
//     with the same rule, so that each live job's or provider's queue key
//     still equals its stored deadline;
//   - the prune queue: a terminal job's entry moves to its rebased
//     closed_height (0) + retention_blocks (or its rebased sweep
//     resume_height, when later), so that a restarted chain keeps its
//     history for one full retention window;
//   - jobs' sweep.resume_height, with the same rule as the queues it keys;
//   - the beacon: the jobs' sample.beacon_heights and every height keying
//     the beacon state (final beacons, open rounds and their shares, the
//     last round, the keys' since) shift by minus the export height, without
//     the clamp to 0, so that they stay distinct and a pending draw combines
//     the same beacons (rebaseBeacon).
//
// Nothing else changes: no coins move, no job or provider changes state, so
// CheckInvariants holds after it as before. It reads every job, commitment
// and provider, which the export does anyway.
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	exportHeight := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if exportHeight <= 0 {
		return nil // already at genesis: nothing to rebase
	}
	rebase := func(h int64) int64 { return common.RebaseHeight(h, exportHeight) }
	params, err := k.Params.Get(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: params")
	}

	windows := slashWindows{byJob: map[uint64]int64{}, byProvider: map[string]int64{}}
	if err := k.rebaseJobs(ctx, exportHeight, params, rebase, windows); err != nil {
		return err
	}
	if err := k.rebaseCommits(ctx, rebase, windows); err != nil {
		return err
	}
	if err := k.rebaseProviders(ctx, exportHeight, params, rebase, windows); err != nil {
		return err
	}
	for _, q := range []struct {
		name  string
		queue HeightQueue
	}{
		{"commit end", k.CommitEndQueue},
		{"reveal end", k.RevealEndQueue},
		{"exec deadline", k.ExecDeadlineQueue},
		{"challenge end", k.ChallengeEndQueue},
		{"verification end", k.VerificationEndQueue},
		{"sample", k.SampleQueue},
	} {
		if err := rebaseQueue(ctx, q.queue, rebase); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: %s queue", q.name)
		}
	}
	if err := rebaseQueue(ctx, k.UnbondingQueue, rebase); err != nil {
		return errorsmod.Wrap(err, "zero-height export: unbonding queue")
	}
	if err := k.rebaseBeacon(ctx, exportHeight); err != nil {
		return err
	}
	k.Logger(ctx).Info("heights rebased for a zero-height genesis", "export_height", exportHeight)
	return nil
}

// slashWindows are the recent-slash windows of the live jobs' terms
// (recentSlashWindow) where they exceed the params' in force: byJob for
// each such job, byProvider the largest of those of the jobs a provider won
// or is committed on. rebaseJobs and rebaseCommits fill them from the jobs
// and commitments they walk anyway; rebaseProviders reads them.
type slashWindows struct {
	byJob      map[uint64]int64
	byProvider map[string]int64
}

// keep records window as one of addr's, if it is its largest yet.
func (w slashWindows) keep(addr string, window int64) {
	if window > w.byProvider[addr] {
		w.byProvider[addr] = window
	}
}

// recentSlashWindow is how many blocks after a fraud slash SampleRateBps
// samples the provider at 100% under params: jail_blocks ×
// recent_slash_window_multiplier (at most MaxWindowBlocksLimit ×
// MaxRecentSlashWindow, within an int64).
func recentSlashWindow(params types.Params) int64 {
	return int64(params.JailBlocks * params.RecentSlashWindowMultiplier)
}

// rebaseJobs rebases every job's heights and its prune entry, and records in
// windows the recent-slash window of each live job's terms that exceeds the
// params' (and for its winner, if it has one).
func (k Keeper) rebaseJobs(ctx context.Context, exportHeight int64, params types.Params, rebase func(int64) int64, windows slashWindows) error {
	it, err := k.Jobs.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: jobs")
	}
	jobs, err := it.Values()
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: jobs")
	}
	live := recentSlashWindow(params)
	for _, j := range jobs {
		if w := recentSlashWindow(j.Terms.Under(params)); !j.State.IsTerminal() && w > live {
			windows.byJob[j.Id] = w
			if j.Winner != "" {
				windows.keep(j.Winner, w)
			}
		}
		if h, ok := pruneKey(j, params); ok && j.State.IsTerminal() {
			if err := k.PruneQueue.Remove(ctx, pair(h, j.Id)); err != nil {
				return errorsmod.Wrapf(err, "zero-height export: prune entry of job %d", j.Id)
			}
		}
		j.CommitEnd = rebase(j.CommitEnd)
		j.RevealEnd = rebase(j.RevealEnd)
		j.ExecDeadline = rebase(j.ExecDeadline)
		j.ChallengeEnd = rebase(j.ChallengeEnd)
		j.VerificationEnd = rebase(j.VerificationEnd)
		j.CreatedHeight = rebase(j.CreatedHeight)
		j.ClosedHeight = rebase(j.ClosedHeight)
		j.Result.SubmittedHeight = rebase(j.Result.SubmittedHeight)
		// The beacon state's heights shift alike (rebaseBeacon): a pending
		// draw combines the same beacons after the restart.
		j.Sample.DecideHeight = rebase(j.Sample.DecideHeight)
		if j.Sample.RevealFrom > 0 {
			// A reveal window open at the export stays open from the
			// restart's first block (its beacons are final and kept);
			// rebase's 0 would have closed it
			// (TestZeroHeightExportKeepsTheRevealWindow).
			j.Sample.RevealFrom = max(j.Sample.RevealFrom-exportHeight, 1)
		}
		for i, h := range j.Sample.BeaconHeights {
			j.Sample.BeaconHeights[i] = shiftBeaconHeight(h, exportHeight)
		}
		if j.Sweep.ResumeHeight != 0 {
			j.Sweep.ResumeHeight = rebase(j.Sweep.ResumeHeight)
		}
		// The state is unchanged, so neither the indexes nor the counters move.
		if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: job %d", j.Id)
		}
		if h, ok := pruneKey(j, params); ok && j.State.IsTerminal() {
			if err := k.PruneQueue.Set(ctx, pair(h, j.Id)); err != nil {
				return errorsmod.Wrapf(err, "zero-height export: prune entry of job %d", j.Id)
			}
		}
	}
	return nil
}

// rebaseCommits rebases every commitment's height, and records for its
// provider the recent-slash window of its job's terms (windows.byJob): a
// provider committed on a job may win it, and its draw reads that window.
func (k Keeper) rebaseCommits(ctx context.Context, rebase func(int64) int64, windows slashWindows) error {
	it, err := k.BidCommits.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: commitments")
	}
	commits, err := it.KeyValues()
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: commitments")
	}
	for _, kv := range commits {
		c := kv.Value
		if w, ok := windows.byJob[c.JobId]; ok {
			windows.keep(c.Provider, w)
		}
		c.Height = rebase(c.Height)
		if err := k.BidCommits.Set(ctx, kv.Key, c); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: commitment of %s on job %d", c.Provider, c.JobId)
		}
	}
	return nil
}

// rebaseProviders rebases every provider's heights, and keeps a fraud slash
// recent (last_slash_height 1) if it is within the largest of the params'
// window and the windows of its live jobs' terms (windows.byProvider).
func (k Keeper) rebaseProviders(ctx context.Context, exportHeight int64, params types.Params, rebase func(int64) int64, windows slashWindows) error {
	it, err := k.Providers.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: providers")
	}
	provs, err := it.Values()
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: providers")
	}
	live := recentSlashWindow(params)
	for _, p := range provs {
		window := max(live, windows.byProvider[p.Address])
		p.JailedUntil = rebase(p.JailedUntil)
		p.UnbondingEnd = rebase(p.UnbondingEnd)
		if last := p.Stats.LastSlashHeight; last > 0 {
			// SampleRateBps at the block after the export (H+1): is the
			// recent-slash window still open?
			if exportHeight+1-last < window {
				p.Stats.LastSlashHeight = 1
			} else {
				p.Stats.LastSlashHeight = 0
			}
		}
		// Status and weights are unchanged: no counter moves.
		if err := k.Providers.Set(ctx, p.Address, p); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: provider %s", p.Address)
		}
	}
	return nil
}

// rebaseQueue rewrites every (height, id) key of q to (rebase(height), id).
// The keys are read first and the queue rewritten after, so that no key is
// moved twice.
func rebaseQueue[K any](ctx context.Context, q modkit.Queue[int64, K], rebase func(int64) int64) error {
	it, err := q.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	keys, err := it.Keys()
	if err != nil {
		return err
	}
	if err := q.Clear(ctx, nil); err != nil {
		return err
	}
	for _, key := range keys {
		if err := q.Set(ctx, collections.Join(rebase(key.K1()), key.K2())); err != nil {
			return err
		}
	}
	return nil
}
