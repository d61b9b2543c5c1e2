package provider

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// capacity is what the agent knows of its own speed and of the chain's
// block time, to bid only on jobs it can finish in their windows.
type capacity struct {
	workers int
	gflops  float64 // measured at start on the backend

	mu        sync.Mutex
	lastH     int64
	lastT     time.Time
	blockSecs float64 // moving average of the block interval
	// perJob is the overhead a job costs besides its arithmetic (queries,
	// disk, hashing), a moving average of what executions measured.
	perJob float64
}

func newCapacity(workers int) *capacity {
	return &capacity{workers: max(workers, 1), gflops: 1, blockSecs: 1, perJob: 0.02}
}

// calibrate measures the backend on a small gemm (a few milliseconds).
func (c *capacity) calibrate(ctx context.Context, b workload.Backend, log *slog.Logger) {
	job, err := workload.NewGemmJob(workload.GemmParams{M: 192, N: 192, K: 192, ChunkRows: 64, Seed: 1})
	if err != nil {
		return
	}
	start := time.Now()
	const rounds = 3
	for r := 0; r < rounds; r++ {
		if _, err := workload.ComputeChunks(ctx, job, b); err != nil {
			log.Warn("backend calibration failed; assuming 1 GFLOP/s", "err", err)
			return
		}
	}
	secs := time.Since(start).Seconds()
	if secs > 0 {
		c.gflops = rounds * 2 * 192 * 192 * 192 / 1e9 / secs
	}
}

// observeBlock updates the block interval from consecutive block times.
func (c *capacity) observeBlock(h int64, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastH > 0 && h > c.lastH && !t.IsZero() && t.After(c.lastT) {
		d := t.Sub(c.lastT).Seconds() / float64(h-c.lastH)
		c.blockSecs = 0.8*c.blockSecs + 0.2*d
	}
	if !t.IsZero() {
		c.lastH, c.lastT = h, t
	}
}

func (c *capacity) blockTime() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Duration(c.blockSecs * float64(time.Second))
}

// observeJob updates the per-job overhead from an execution's wall time
// and its arithmetic estimate.
func (c *capacity) observeJob(gflop, secs float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	over := math.Max(secs-gflop/c.gflops, 0)
	c.perJob = 0.9*c.perJob + 0.1*over
}

// seconds estimates a job's execution time from its floating-point work.
func (c *capacity) seconds(gflop float64) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return gflop/c.gflops + c.perJob
}

// fits reports whether a job of est seconds, queued behind every job the
// agent has bid on or won and not yet executed, finishes within safety ×
// its execution window (execBlocks × the block interval).
func (c *capacity) fits(recs map[uint64]*Record, est float64, execBlocks uint64, safety float64) bool {
	queued := est
	for _, r := range recs {
		if r.Phase <= PhaseWon {
			queued += r.EstSeconds
		}
	}
	c.mu.Lock()
	window := float64(execBlocks) * c.blockSecs * safety
	c.mu.Unlock()
	return queued/float64(c.workers) <= window
}

// estimate returns a job's estimated execution seconds, or why the agent
// will not bid on it: a kind it cannot run, output beyond its limits, or a
// model it cannot fetch and check now (an mlp or gpt job's model is fetched
// and hashed before the agent commits to it; its dataset, which only the
// winner may read, is checked against its size limits).
func (a *Agent) estimate(ctx context.Context, job computetypes.Job) (float64, string) {
	k, ok := jobexec.Lookup(job.Workload.Kind)
	if !ok || !k.Needs.MetBy(jobexec.Needs{Model: a.cfg.MLP != nil, Dataset: a.cfg.MLP != nil}) {
		return 0, "kind"
	}
	if a.params.MaxChunkCount > 0 && job.ExpectedChunkCount > a.params.MaxChunkCount {
		return 0, "chunk count"
	}
	rows, cols, gflop, why := a.shape(ctx, job)
	if why != "" {
		return 0, why
	}
	chunkBytes := min(job.Workload.ChunkRows, rows) * cols * 4
	if chunkBytes > a.cfg.MaxChunkBytes || rows*cols*4 > a.cfg.MaxOutputBytes || cols == 0 {
		return 0, "output size"
	}
	return a.cap.seconds(gflop), ""
}

// shape sizes a job through its kind's row (jobexec.SizeOf: the model
// fetched and checked first where the kind has one), then applies the
// agent's own limit on the input rows it holds and asks the dataset's
// server whether it serves the job's pinned version. A kind that reads a
// model or a dataset is sized on the sizer's goroutine, waited for until
// ctx ends (why is whySizing after that: ErrStillSizing).
func (a *Agent) shape(ctx context.Context, job computetypes.Job) (rows, cols uint64, gflop float64, why string) {
	if k, ok := jobexec.Lookup(job.Workload.Kind); !ok || k.Needs == (jobexec.Needs{}) {
		return a.shapeNow(ctx, job)
	}
	s, err := a.sizing.size(ctx, job, func(ctx context.Context) shapeResult {
		var s shapeResult
		s.rows, s.cols, s.gflop, s.why = a.shapeNow(ctx, job)
		return s
	})
	if errors.Is(err, ErrStillSizing) {
		return 0, 0, 0, whySizing
	}
	return s.rows, s.cols, s.gflop, s.why
}

// shapeNow is shape on the caller's goroutine.
func (a *Agent) shapeNow(ctx context.Context, job computetypes.Job) (rows, cols uint64, gflop float64, why string) {
	var src jobexec.ProviderSource
	if a.cfg.MLP != nil {
		src = a.cfg.MLP
	}
	s, err := jobexec.SizeOf(ctx, job, src)
	switch {
	case errors.Is(err, jobexec.ErrUnsupported):
		return 0, 0, 0, "kind"
	case err != nil:
		a.log.Info("not bidding: model unavailable", "job", job.Id, "err", err)
		return 0, 0, 0, "model"
	}
	if s.InputBytes > a.cfg.MaxOutputBytes {
		return 0, 0, 0, "dataset size"
	}
	if s.DatasetID != 0 {
		if why := a.datasetServed(ctx, job, s.DatasetID); why != "" {
			return 0, 0, 0, why
		}
	}
	return s.Rows, s.Cols, s.GFLOP, ""
}

// datasetServed: a dataset's rows open to the winner only, so before a bid
// binds the collateral the dataset's server must say it serves the version
// the job pinned (why is "dataset" when it does not).
func (a *Agent) datasetServed(ctx context.Context, job computetypes.Job, datasetID uint64) string {
	if err := a.cfg.MLP.DatasetServed(ctx, datasetID, job.DatasetVersion); err != nil {
		a.log.Info("not bidding: dataset not served", "job", job.Id, "dataset", datasetID, "version", job.DatasetVersion, "err", err)
		return "dataset"
	}
	return ""
}
