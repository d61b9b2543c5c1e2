package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackZeroHeightExportDropsJobTermsSlashWindow: a job's terms keep
// jail_blocks and recent_slash_window_multiplier, so that a winner convicted
// of fraud shortly before is sampled at 100% on it whatever governance votes
// meanwhile (TestAttackParamsSlashWindowCutBeforeDraw). A zero-height export
// (PrepareForZeroHeight -> rebaseProviders) decides whether to keep the
// winner's recent slash with the window of the params in force, not of the
// jobs it is running: after governance cut the multiplier to 0 (valid
// params) the export resets last_slash_height to 0, and on the restarted
// chain the pending draw of the convicted winner's result runs at the
// sample floor (0 here). The same job on the running chain is verified; on
// the restarted chain its (possibly fraudulent) result goes unchecked into
// its challenge window and is paid. rebaseProviders now keeps the slash
// recent within the largest window of the provider's live jobs' terms.
func TestAttackZeroHeightExportDropsJobTermsSlashWindow(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	pr := s.slashedNow(p1) // a fraud slash a few blocks before its auction
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	if w := s.job(id).Terms; w == nil || w.JailBlocks*w.RecentSlashWindowMultiplier <= uint64(s.height()-pr.Stats.LastSlashHeight+1) {
		t.Fatalf("setup: job terms %v do not keep p1's slash recent", w)
	}
	p := s.params()
	p.RecentSlashWindowMultiplier = 0
	s.setParams(p)

	// Control: on the running chain the draw, next block, samples p1's
	// result under the job's terms.
	if rate := keeper.SampleRateBps(s.provider(p1), s.job(id).Terms.Under(s.params()), s.height()+1); rate != 10_000 {
		t.Fatalf("setup: p1 sampled at %d bps under the job's terms, want 10000", rate)
	}

	// Zero-height export at this height, the draw pending (it runs in the
	// restarted chain's first block).
	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate())
	fresh := newSuite(t)
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	if j := fresh.job(id); j.State != types.JobState_JOB_STATE_SUBMITTED || j.Sample.Decided {
		t.Fatalf("setup: imported job %s decided %t, want its draw pending", j.State, j.Sample.Decided)
	}
	// The restarted chain's blocks (no invariants: the fresh app's bank
	// does not hold the imported escrow, as in exportImport).
	for i := 0; i < 3 && !fresh.job(id).Sample.Decided; i++ {
		fresh.ta.NextBlock()
	}
	if j := fresh.job(id); !j.Sample.Selected || j.State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("after a zero-height restart the winner convicted of fraud a few blocks before its submission is drawn at the floor: job %s, selected %t (last_slash_height %d) — its result goes unverified, where the running chain verifies it",
			j.State, j.Sample.Selected, fresh.provider(p1).Stats.LastSlashHeight)
	}
}

// TestAttackZeroHeightExportDropsCommittedBiddersSlashWindow: as
// TestAttackZeroHeightExportDropsJobTermsSlashWindow, for a provider
// convicted of fraud that is committed on a job still in auction: it may
// win the job after the restart, and the job's draw reads the window of the
// job's terms, so the export keeps its slash recent within that window too
// (the commitments, which the export walks anyway, name it).
func TestAttackZeroHeightExportDropsCommittedBiddersSlashWindow(t *testing.T) {
	s := newSuite(t)
	req, p1 := s.acc(0), s.acc(1)
	s.register(p1, 1_000_000)
	pr := s.slashedNow(p1)
	id := s.create(req, 10_000)
	s.commit(p1, id, 3_000)
	p := s.params()
	p.RecentSlashWindowMultiplier = 0
	s.setParams(p)

	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	if got := s.provider(p1).Stats.LastSlashHeight; got != 1 {
		t.Fatalf("a bidder on job %d convicted %d blocks before the export has last_slash_height %d after it, want 1 (recent under the job's terms)",
			id, s.height()-pr.Stats.LastSlashHeight, got)
	}
	if s.job(id).State != types.JobState_JOB_STATE_OPEN {
		t.Fatalf("setup: job %d is %s, want OPEN", id, s.job(id).State)
	}
}
