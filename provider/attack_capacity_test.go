package provider

import (
	"context"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackOneJobLongerThanSafetyIsBidOn: the README's promise is that a
// job's estimated time, queued behind everything the agent holds, fits in
// --safety (0.5) of the job's execution window. capacity.fits divides the
// queue by the number of workers, which holds for many jobs but not for one:
// a job runs on one worker and is not split. A requester sizes one gemm job
// so that its estimate is 95% of the whole execution window (exec_blocks ×
// block time); an idle agent with 2 workers (the CPU default) sees
// 0.95·W / 2 ≤ 0.5·W and bids. Won, it runs on one worker for 95% of the
// window, before the result tx has to land: the safety margin that covers
// estimate error, a slower host and the submit is gone, and any slip past
// the deadline forfeits the bid's collateral.
func TestAttackOneJobLongerThanSafetyIsBidOn(t *testing.T) {
	a := testAgent(t) // 2 workers, 1 GFLOP/s, block time 1 s
	const dim = 2668  // 2·dim³ ≈ 38 GFLOP: ≈ 38 s at 1 GFLOP/s
	job := gemmJobNK(1, dim, dim, dim, 40)
	job.MulAdds = dim * dim * dim
	window := float64(job.ExecBlocks) * a.cap.blockTime().Seconds()
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	r, why := a.decide(context.Background(), job, &rich)
	if r != nil {
		t.Fatalf("bid on a job estimated at %.1f s, %.0f%% of its %.0f s execution window, one job on one of %d workers "+
			"(safety %.2f allows %.1f s): collateral %s at stake with no margin",
			r.EstSeconds, 100*r.EstSeconds/window, window, a.cfg.Workers, a.cfg.Safety, a.cfg.Safety*window, r.Collateral)
	}
	if why != "capacity" {
		t.Fatalf("refused for %q, not capacity: the test does not measure what it should", why)
	}
}

// TestAttackLongJobsAwardedFirstStarveAHeldJob: capacity.fits checks a
// new job against its own execution window only, never against the windows
// of the jobs the agent already holds, and execution is earliest deadline
// first only among the jobs dispatched in one block (execCh is a FIFO, and a
// job running is never preempted). The agent holds a bid on job A (a small
// gemm job, 40-block window, reveal end 115: deadline 155). A requester then
// posts two long gemm jobs B and C (about 100 s of work each at the agent's
// speed) with a 1,000-block window and a shorter reveal phase (reveal end
// 111): each fits its own window (queued (A+B+C)/2 ≈ 103 s ≤ 500 s), so the
// agent bids on both. Awarded 4 blocks before A, B and C take both workers
// from block 111 until about block 214; A, awarded at 115, waits behind them
// past its deadline 155 and its collateral is slashed — to the benefit of
// A's requester (compensation) if it is the same party that posted B and C.
func TestAttackLongJobsAwardedFirstStarveAHeldJob(t *testing.T) {
	a := testAgent(t) // 2 workers, block time 1 s
	a.cap.gflops = 0.01
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	ctx := context.Background()

	held := gemmJob(1, 64, 40)
	held.CommitEnd, held.RevealEnd = 110, 115
	rA, why := a.decide(ctx, held, &rich)
	if rA == nil {
		t.Fatalf("setup: no bid on A: %s", why)
	}
	rA.Phase = PhaseRevealed
	a.recs[rA.ID] = rA
	deadlineA := held.RevealEnd + int64(held.ExecBlocks)

	a.height = 101
	const dim = 800 // 2·800³ ≈ 1.02 GFLOP: ≈ 102 s at 0.01 GFLOP/s
	var bid []*Record
	for id := uint64(2); id <= 3; id++ {
		j := gemmJobNK(id, dim, dim, dim, 1000)
		j.MulAdds = dim * dim * dim
		j.CommitEnd, j.RevealEnd = 106, 111
		if r, _ := a.decide(ctx, j, &rich); r != nil {
			r.Phase = PhaseRevealed
			a.recs[r.ID] = r
			bid = append(bid, r)
		}
	}
	if len(bid) == a.cfg.Workers {
		// Awarded at 111, both run on the 2 workers (not preempted); A,
		// awarded at 115, starts when the first of them ends.
		startA := float64(111) + min(bid[0].EstSeconds, bid[1].EstSeconds)/a.cap.blockTime().Seconds()
		t.Fatalf("bid on %d long jobs (est %.0f s and %.0f s, reveal end 111) that take all %d workers before held job A "+
			"(est %.2f s, reveal end %d) is awarded: A starts at about block %.0f, past its deadline %d, and its collateral %s "+
			"is forfeited", len(bid), bid[0].EstSeconds, bid[1].EstSeconds, a.cfg.Workers, rA.EstSeconds, held.RevealEnd,
			startA, deadlineA, rA.Collateral)
	}
}

// TestAttackLateAwardedJobWaitsBehindLaterDeadlines: the workers take the
// job due first, whatever the order in which the jobs reached their queue:
// two long jobs due late, queued first, do not go ahead of a job due early.
func TestAttackLateAwardedJobWaitsBehindLaterDeadlines(t *testing.T) {
	var q workQueue
	for _, j := range []struct {
		id       uint64
		deadline int64
	}{{2, 1111}, {3, 1111}, {1, 155}} {
		q.push(prepared{job: computetypes.Job{Id: j.id, ExecDeadline: j.deadline}})
	}
	ctx := context.Background()
	var order []uint64
	for q.len() > 0 {
		p, ok := q.pop(ctx)
		if !ok {
			t.Fatal("pop refused with jobs queued")
		}
		order = append(order, p.job.Id)
	}
	if len(order) != 3 || order[0] != 1 || order[1] != 2 || order[2] != 3 {
		t.Fatalf("workers took jobs in order %v, want [1 2 3]: earliest deadline first", order)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, ok := q.pop(done); ok {
		t.Fatal("an empty queue handed out a job after its context ended")
	}
}
