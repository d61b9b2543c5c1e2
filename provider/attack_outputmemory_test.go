package provider

import (
	"context"
	"runtime"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackWideOutputJobsOverrunTheMemoryBudget: admitMemory counted a
// gemm job's Bᵀ (HeldBytes) and A (ExecBytes), never its output, which the
// agent holds whole while it runs it: the backend's M×N float32s and
// then, in SplitChunks, their byte encoding beside them (2 × M·N·4 bytes
// at once), before ChunkStore.Put writes them. A requester posts gemm jobs
// with K = 1 and an output of --max-output-bytes (4 GiB: M = 2^20,
// N = 1024, chunk_rows 1024 → 4 MiB chunks, 1024 of them; 2^30
// multiply-adds, 2.1 GFLOP, priced at the floor): each takes 8 GiB while
// it runs, its sizing said 4 MiB. On a 16 GiB host (budget 8 GiB) the two
// workers running two of them held 16 GiB: the agent was killed for memory,
// ran them again after its restart, and every job it held timed out. Now
// admitMemory counts the output twice for each worker (outputMemBytes).
func TestAttackWideOutputJobsOverrunTheMemoryBudget(t *testing.T) {
	ctx := context.Background()
	a := testAgent(t)
	a.cfg.MaxMemoryBytes = 8 << 30 // half of a 16 GiB host (DefaultMemoryBytes)
	const m, n, k = 1 << 20, 1024, 1
	job := gemmJobNK(1, m, n, k, 40)
	job.Workload.ChunkRows = 1024
	job.ExpectedChunkCount = m / 1024
	job.MulAdds = m * n * k // as the chain records it
	if err := a.params.AdmitJob(shapeOfGemm(m, n), 1024, job.ExecBlocks); err != nil {
		t.Fatalf("setup: the chain refuses the job: %v", err)
	}

	// What running such a job holds, measured at 1/64 of its size.
	small := gemmJobNK(2, m/64, n, k, 40)
	small.Workload.ChunkRows = 1024
	w, err := jobexec.FromJob(ctx, small.Workload, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := workload.ComputeChunks(ctx, w, cpu.New()); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	perOutputByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(m/64*n*4)

	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	s, _, why := a.estimateShape(ctx, job)
	r, why2 := a.decide(ctx, job, &rich)
	if why == "" && r != nil {
		need := uint64(a.cfg.Workers) * uint64(perOutputByte*float64(m*n*4))
		t.Fatalf("bid on a gemm job with a %d MiB output (%d workers may run such jobs at once: %d MiB allocated while they run, "+
			"%.1f bytes per output byte measured) under a memory budget of %d MiB: admitMemory counted held %d + exec %d bytes "+
			"and no output (decide: %q)", m*n*4>>20, a.cfg.Workers, need>>20, perOutputByte, a.cfg.MaxMemoryBytes>>20,
			s.HeldBytes, s.ExecBytes, why2)
	}
}

// shapeOfGemm is the chain's shape of a gemm-f32 job with k = 1
// (x/compute/types resolveGemm).
func shapeOfGemm(m, n uint64) computetypes.WorkloadShape {
	return computetypes.WorkloadShape{Rows: m, Cols: n, MulAdds: m * n, HeldValues: n, RowValues: 1 + n}
}
