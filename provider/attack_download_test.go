package provider

import (
	"context"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackShortWindowOverALargeDataset: a requester (or a dataset owner
// posting through one) creates an mlp-f32 job over a 512 MiB dataset with a
// one-output model (0.13 G multiply-adds: well under a second of work) and
// the chain's shortest execution window (min_exec_blocks 20: 120 s at 6 s
// blocks). The agent estimated only the arithmetic and the output, bid,
// and, won, had first to download the dataset, which only the winner may
// read: at the average rate its own fetch policy accepts from a server
// (jobexec.FetchPolicy.AvgRate, 4 MiB/s) that alone takes 128 s, past the
// deadline, and the collateral goes on the timeout (or on an abort the
// validators find false: the inputs are there). Now the agent counts the
// download at that rate in a dataset job's estimate: it bids on the job
// over a 512 MiB dataset only with a window the download and the work fit
// in (safety × 600 blocks here), and the job over a small dataset as before.
func TestAttackShortWindowOverALargeDataset(t *testing.T) {
	const cols, rows = 1024, 1 << 17 // 2^27 float32 values: 512 MiB
	model := &workload.Model{Layers: []workload.Layer{{In: cols, Out: 1, Weight: make([]float32, cols)}}}
	a := testAgent(t)
	a.cap.blockSecs = 6
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	a.cfg.MLP = fakeMLP{model: model, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}
	ctx := context.Background()
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)

	job := mlpJob(1, rows, 256)
	job.ExecBlocks = a.params.MinExecBlocks
	window := float64(job.ExecBlocks) * a.cap.blockTime().Seconds()
	download := float64(rows*cols*4) / float64(jobexec.FetchDefaults().AvgRate)
	r, why := a.decide(ctx, job, &rich)
	if r != nil {
		t.Fatalf("bid %s (collateral %s) on a job over a 512 MiB dataset estimated at %.2f s, with a %.0f s execution window: "+
			"its download alone takes %.0f s at the %d B/s the fetch policy accepts; won, it times out",
			r.Price, r.Collateral, r.EstSeconds, window, download, jobexec.FetchDefaults().AvgRate)
	}
	if why != "capacity" {
		t.Fatalf("refused for %q, not capacity: the test does not measure what it should", why)
	}
	long := mlpJob(2, rows, 256)
	long.ExecBlocks = 600
	if r, why := a.decide(ctx, long, &rich); r == nil || r.EstSeconds < download {
		t.Fatalf("the same job with a 3600 s window: bid %v (why %q), want a bid whose estimate counts the %.0f s download", r != nil, why, download)
	}
	small := mlpJob(3, 1<<10, 256) // 4 MiB: a second's download
	small.ExecBlocks = a.params.MinExecBlocks
	if r, why := a.decide(ctx, small, &rich); r == nil {
		t.Fatalf("no bid on a job over a 4 MiB dataset with a %.0f s window: %q", window, why)
	}
}
