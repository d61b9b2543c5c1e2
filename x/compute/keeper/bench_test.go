package keeper_test

import (
	"cosmossdk.io/math"
	"fmt"
	"testing"

	"github.com/aichain/aichain/workload"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// seedOpenJobs writes n OPEN jobs whose commit phase ends far in the future,
// with their queue entries, straight into the store (creating 100,000 jobs
// through the Msg server would dominate the benchmark's setup).
func seedOpenJobs(tb testing.TB, k keeper.Keeper, ctx sdk.Context, n int) {
	tb.Helper()
	req := sdk.AccAddress([]byte("requester-address-20")).String()
	far := ctx.BlockHeight() + 1_000_000
	for i := 0; i < n; i++ {
		id, err := k.JobSeq.Next(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		j := types.Job{
			Id: id, Requester: req, State: types.JobState_JOB_STATE_OPEN, MaxPrice: sdk.NewInt64Coin("uaic", 1000),
			Workload:  types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 8, N: 8, K: 8}, ChunkRows: 4},
			CommitEnd: far, RevealEnd: far + 10, CreatedHeight: ctx.BlockHeight(),
		}
		if err := k.Jobs.Set(ctx, id, j); err != nil {
			tb.Fatal(err)
		}
		if err := k.CommitEndQueue.Set(ctx, collections.Join(j.CommitEnd, id)); err != nil {
			tb.Fatal(err)
		}
	}
}

// endBlockGas runs one EndBlocker with a fresh gas meter and returns the gas it used.
func endBlockGas(tb testing.TB, k keeper.Keeper, ctx sdk.Context) storetypes.Gas {
	tb.Helper()
	c := ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
	if err := k.EndBlocker(c); err != nil {
		tb.Fatal(err)
	}
	return c.GasMeter().GasConsumed()
}

// TestEndBlockerCostIndependentOfOpenJobs: the EndBlocker's store work (gas)
// with 100 open jobs equals that with 20,000 open jobs: it reads only due entries.
func TestEndBlockerCostIndependentOfOpenJobs(t *testing.T) {
	gas := map[int]storetypes.Gas{}
	for _, n := range []int{100, 20_000} {
		ta := apptesting.Setup(t, 1)
		seedOpenJobs(t, ta.ComputeKeeper, ta.Ctx, n)
		ta.NextBlock() // commit them, as a chain would have
		ctx, _ := ta.Ctx.CacheContext()
		gas[n] = endBlockGas(t, ta.ComputeKeeper, ctx)
	}
	if gas[100] != gas[20_000] {
		t.Fatalf("EndBlocker gas grows with open jobs: %d with 100, %d with 20000", gas[100], gas[20_000])
	}
}

// BenchmarkEndBlocker measures one EndBlocker with 100 and 100,000 open jobs
// in their commit phase, none due: the cost must not grow with open jobs.
func BenchmarkEndBlocker(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		// Set up once per size (b.Run calls its function more than once).
		ta := apptesting.Setup(b, 1)
		seedOpenJobs(b, ta.ComputeKeeper, ta.Ctx, n)
		ta.NextBlock() // commit them, as a chain would have
		ctx, _ := ta.Ctx.CacheContext()
		b.Run(fmt.Sprintf("open_jobs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := ta.ComputeKeeper.EndBlocker(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSampleRate(t *testing.T) {
	p := types.DefaultParams() // floor 20%
	clean := types.Provider{}
	if r := keeper.SampleRateBps(clean, p, 100); r != 2_000 {
		t.Fatalf("clean %d", r)
	}
	// The record is weighted by value: a timeout on a job of max_price 1000
	// and one completed job paid 1999: bad / (bad + good + 1) = 1/3.
	bad := types.Provider{Stats: types.ProviderStats{Completed: 1, Failed: 1,
		FailedValue: math.NewInt(1_000), CompletedValue: math.NewInt(1_999)}}
	if r := keeper.SampleRateBps(bad, p, 100); r != 2_000+8_000*1/3 {
		t.Fatalf("one failure in two jobs %d", r)
	}
	recent := types.Provider{Stats: types.ProviderStats{Completed: 100, Slashed: 1, Failed: 1, LastSlashHeight: 50,
		FailedValue: math.NewInt(3_000), CompletedValue: math.NewInt(100_000)}}
	if r := keeper.SampleRateBps(recent, p, 100); r != 10_000 {
		t.Fatalf("recent slash %d", r)
	}
	old := recent
	if r := keeper.SampleRateBps(old, p, 50+int64(p.JailBlocks*p.RecentSlashWindowMultiplier)); r >= 10_000 || r <= 2_000 {
		t.Fatalf("old slash %d", r)
	}
}
