package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// Scale of the block benchmark (issue 20): 100,000 open jobs, 10,000 of them
// due at once, and a full vote extension (ve.MaxVerdictsPerExtension) from
// each of 4 validators.
const (
	scaleOpen     = 100_000
	scaleDue      = 10_000
	scaleVerdicts = 2_048
	scaleVals     = 4
)

// seedJobs saves n jobs in state st through the keeper's own saveJob (stats
// and indexes as a chain keeps them); commitEnd > 0 queues each job's end of
// commit phase at that height.
func seedJobs(tb testing.TB, k keeper.Keeper, ctx sdk.Context, n int, st types.JobState, commitEnd int64) []uint64 {
	tb.Helper()
	req := sdk.AccAddress([]byte("requester-address-20")).String()
	ids := make([]uint64, n)
	for i := range ids {
		id, err := k.JobSeq.Next(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		j := types.Job{
			Id: id, Requester: req, State: st, MaxPrice: sdk.NewInt64Coin("uaic", 1000),
			Workload:  types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 8, N: 8, K: 8}, ChunkRows: 4},
			CommitEnd: commitEnd, RevealEnd: commitEnd + 10, CreatedHeight: ctx.BlockHeight(),
		}
		if err := k.SaveJob(ctx, types.JobState_JOB_STATE_UNSPECIFIED, j); err != nil {
			tb.Fatal(err)
		}
		if st.UnderCheck() { // a job under check has a tally, as the chain opens it
			if err := k.Tallies.Set(ctx, id, types.VerificationTally{}); err != nil {
				tb.Fatal(err)
			}
		}
		if commitEnd > 0 {
			if err := k.CommitEndQueue.Set(ctx, collections.Join(commitEnd, id)); err != nil {
				tb.Fatal(err)
			}
		}
		ids[i] = id
	}
	return ids
}

// blockWork is the x/compute work of one block at height h: the
// pre-blocker's verdicts (ApplyVerdicts, what app/ve's PreBlocker hands the
// keeper after decoding the injected commit), BeginBlocker and EndBlocker.
// It runs on a cache of ctx, so that every run does the same work.
func blockWork(k keeper.Keeper, ctx sdk.Context, h int64, votes []types.ValidatorVerdicts) (time.Duration, sdk.Context, error) {
	c, _ := ctx.WithBlockHeight(h).CacheContext()
	c = c.WithEventManager(sdk.NewEventManager())
	start := time.Now()
	if len(votes) > 0 {
		// Total power 3 × the voters': the 4 votes per job record, none decides.
		if err := k.ApplyVerdicts(c, 3*scaleVals, votes); err != nil {
			return 0, c, err
		}
	}
	if err := k.BeginBlocker(c); err != nil {
		return 0, c, err
	}
	if err := k.EndBlocker(c); err != nil {
		return 0, c, err
	}
	return time.Since(start), c, nil
}

// medianBlock is the median of 5 runs of blockWork.
func medianBlock(tb testing.TB, k keeper.Keeper, ctx sdk.Context, h int64, votes []types.ValidatorVerdicts) time.Duration {
	tb.Helper()
	ds := make([]time.Duration, 5)
	for i := range ds {
		d, _, err := blockWork(k, ctx, h, votes)
		if err != nil {
			tb.Fatal(err)
		}
		ds[i] = d
	}
	return median(ds)
}

// verdictVotes are scaleVals validators' VALID verdicts on the jobs.
func verdictVotes(jobs []uint64) []types.ValidatorVerdicts {
	votes := make([]types.ValidatorVerdicts, scaleVals)
	for v := range votes {
		votes[v] = types.ValidatorVerdicts{ConsAddress: []byte(fmt.Sprintf("validator-cons-addr-%d", v)), Power: 1}
		for _, id := range jobs {
			votes[v].Verdicts = append(votes[v].Verdicts, types.JobVerdict{JobId: id, Verdict: types.Verdict_VERDICT_VALID})
		}
	}
	return votes
}

// BenchmarkBlockAtScale times x/compute's share of a block (verdicts,
// BeginBlocker, EndBlocker) as state grows, each step as a ratio to an empty
// block measured in the same run (metric x_empty): 100 open jobs; 100,000;
// then 10,000 of them due in the block (the expiry queue drains
// max_queue_items_per_block of them, the rest carry over); then 2,048
// verdicts from each of 4 validators on VERIFYING jobs. Each step is the
// median of 5 runs on a cache of the committed state.
func BenchmarkBlockAtScale(b *testing.B) {
	ta := apptesting.Setup(b, 1)
	k := ta.ComputeKeeper
	far := ta.Ctx.BlockHeight() + 1_000_000
	due := ta.Ctx.BlockHeight() + 5
	empty := medianBlock(b, k, ta.Ctx, due, nil)
	var votes []types.ValidatorVerdicts
	steps := []struct {
		name string
		seed func(ctx sdk.Context)
	}{
		{"open_jobs=100", func(ctx sdk.Context) { seedJobs(b, k, ctx, 100, types.JobState_JOB_STATE_OPEN, far) }},
		{"open_jobs=100000", func(ctx sdk.Context) { seedJobs(b, k, ctx, scaleOpen-100, types.JobState_JOB_STATE_OPEN, far) }},
		{"open_jobs=100000,due=10000", func(ctx sdk.Context) { seedJobs(b, k, ctx, scaleDue, types.JobState_JOB_STATE_OPEN, due) }},
		{"open_jobs=100000,due=10000,verdicts=4x2048", func(ctx sdk.Context) {
			votes = verdictVotes(seedJobs(b, k, ctx, scaleVerdicts, types.JobState_JOB_STATE_VERIFYING, 0))
		}},
	}
	for _, st := range steps {
		st.seed(ta.Ctx)
		ta.NextBlock() // commit, as a chain would have
		b.Run(st.name, func(b *testing.B) {
			var d time.Duration
			for i := 0; i < b.N; i++ {
				d = medianBlock(b, k, ta.Ctx, due, votes)
			}
			b.ReportMetric(float64(d.Microseconds()), "block_µs")
			b.ReportMetric(float64(empty.Microseconds()), "empty_µs")
			b.ReportMetric(float64(d)/float64(empty), "x_empty")
		})
	}
}

// The block benchmark's steps do the work they name: the due jobs expire
// (max_queue_items_per_block of them) and every verdict is recorded.
func TestBlockAtScaleDoesTheWork(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	k := ta.ComputeKeeper
	due := ta.Ctx.BlockHeight() + 5
	seedJobs(t, k, ta.Ctx, 300, types.JobState_JOB_STATE_OPEN, due)
	jobs := seedJobs(t, k, ta.Ctx, 10, types.JobState_JOB_STATE_VERIFYING, 0)
	ta.NextBlock()
	_, c, err := blockWork(k, ta.Ctx, due, verdictVotes(jobs))
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.Params.Get(c)
	if err != nil {
		t.Fatal(err)
	}
	expired, recorded := 0, 0
	for _, ev := range c.EventManager().Events() {
		switch ev.Type {
		case "aichain.compute.v1.EventJobClosed":
			expired++
		case "aichain.compute.v1.EventVerdictRecorded":
			recorded++
		}
	}
	if expired != int(p.MaxQueueItemsPerBlock) || recorded != 10*scaleVals {
		t.Fatalf("expired %d (want %d), verdicts recorded %d (want %d)", expired, p.MaxQueueItemsPerBlock, recorded, 10*scaleVals)
	}
}

// BenchmarkExpiringJobs times one block's EndBlocker work on
// max_queue_items_per_block (200) jobs whose commit phase ends with no bid
// (each is refunded, closed, filed for pruning, with its events), on a cache
// of the committed state; metric µs/expired_job (docs/bench-chain-profiles.md).
func BenchmarkExpiringJobs(b *testing.B) {
	ta := apptesting.Setup(b, 1)
	k := ta.ComputeKeeper
	due := ta.Ctx.BlockHeight() + 5
	const n = 200
	seedJobs(b, k, ta.Ctx, n, types.JobState_JOB_STATE_OPEN, due)
	ta.NextBlock()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := blockWork(k, ta.Ctx, due, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/expired_job")
}
