package provider

import (
	"context"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackWideOutputJobsFillTheChunkDisk: ChunkStore.Put writes every
// executed job's output (up to --max-output-bytes, 4 GiB) and keeps it
// until the job ends plus --retention (24 h). A requester posts gemm jobs
// with K = 1 and a 1 GiB output each (2^28 multiply-adds, 0.5 GFLOP: the
// floor price; the chain admits them), with long execution windows: an
// agent that weighed only one job's output against its limits bid on as
// many as its schedule fit, far more output than its disk holds; won, the
// disk filled, Put failed for every later job (the attacker's and the
// honest requesters'), and each of them timed out and forfeited its
// collateral. Now the outputs of the jobs it holds, bid on through purged,
// stay within --max-disk-bytes (admitDisk). The budget is set small here
// (a few GiB) rather than read from the machine's free disk, so the test
// is as quick on a large disk as on a small one.
func TestAttackWideOutputJobsFillTheChunkDisk(t *testing.T) {
	ctx := context.Background()
	a := testAgent(t)
	const m, n = 1 << 18, 1024 // 1 GiB of output, 4 MiB chunks
	out := uint64(m * n * 4)
	a.cfg.MaxDiskBytes = 4*out + out/2
	jobs := int(a.cfg.MaxDiskBytes/out) + 8
	var open []computetypes.Job
	for i := 0; i < jobs; i++ {
		j := gemmJobNK(uint64(i+1), m, n, 1, 10_000)
		j.Requester = "aic1mallory"
		j.Workload.ChunkRows = 1024
		j.ExpectedChunkCount = m / 1024
		j.MulAdds = m * n
		if i == 0 {
			if err := a.params.AdmitJob(shapeOfGemm(m, n), 1024, j.ExecBlocks); err != nil {
				t.Fatalf("setup: the chain refuses the job: %v", err)
			}
		}
		open = append(open, j)
	}
	a.decideOpen(ctx, open, sdk.NewInt64Coin("uaic", 1_000_000_000_000))
	var held uint64
	for _, r := range a.recs {
		if r.Phase == PhaseBid {
			held += out
		}
	}
	if held == 0 {
		t.Fatalf("setup: no bid on any of %d jobs of a 1 GiB output under a %d GiB disk budget", jobs, a.cfg.MaxDiskBytes>>30)
	}
	if held > a.cfg.MaxDiskBytes {
		t.Fatalf("bid on %d jobs of a 1 GiB output each (%d GiB in all) with a disk budget of %d GiB where the chunks are kept: "+
			"won, they cannot all be stored, and every job executed after the disk fills times out", len(a.recs), held>>30,
			a.cfg.MaxDiskBytes>>30)
	}
}
