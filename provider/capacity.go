package provider

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// capacity is what the agent knows of its own speed and of the chain's
// block time, to bid only on jobs it can finish in their windows.
type capacity struct {
	workers int
	gflops  float64 // measured at start on the backend
	// genSecs is the seconds one value drawn from a seeded stream costs on
	// the host (gemm-f32's A and Bᵀ), measured at start.
	genSecs float64
	// outSecs is the seconds one byte of a job's output costs (held,
	// encoded, tree-hashed, written), measured at start (calibrateOutput).
	outSecs float64
	// scratch is where calibrateOutput writes its output (the chunk
	// store's directory; empty: the system's temporary directory).
	scratch string

	mu        sync.Mutex
	lastH     int64
	lastT     time.Time
	blockSecs float64 // moving average of the block interval
	blockSeen bool    // an interval was observed: blockSecs is no longer the default
	// perJob is the overhead a job costs besides its arithmetic and output
	// (queries, inputs), a moving average of what executions measured.
	perJob float64
}

// maxBlockGrowth bounds one block interval in the moving average, as a
// multiple of the current average (observeBlock).
const maxBlockGrowth = 2

func newCapacity(workers int) *capacity {
	return &capacity{workers: max(workers, 1), gflops: 1, genSecs: 100e-9, outSecs: defaultOutSecs, blockSecs: 1, perJob: 0.02}
}

// calibrate measures the backend and the host on two gemm jobs run the way
// the agent runs a job (built, then computed whole), a few milliseconds
// each: one mostly multiply-adds (192³), one mostly values drawn from seeded
// streams (M=1: Bᵀ of 4096×1024, 16 MiB, written past the caches as a large
// job's is), and splits their times between the two; then the cost of a
// job's output per byte on a third (calibrateOutput).
func (c *capacity) calibrate(ctx context.Context, b workload.Backend, log *slog.Logger) {
	macs := workload.GemmParams{M: 192, N: 192, K: 192, ChunkRows: 64, Seed: 1}
	gen := workload.GemmParams{M: 1, N: 1024, K: 4096, ChunkRows: 1, Seed: 1}
	t1, err := timeGemm(ctx, b, macs)
	if err == nil {
		var t2 float64
		if t2, err = timeGemm(ctx, b, gen); err == nil {
			c.split(macs, gen, t1, t2)
			if err := c.calibrateOutput(ctx, b); err != nil {
				log.Warn("output calibration failed; assuming 10 ns an output byte", "err", err)
			}
			return
		}
	}
	log.Warn("backend calibration failed; assuming 1 GFLOP/s", "err", err)
}

// timeGemm is the seconds one gemm job of p takes, built and computed,
// the mean of three.
func timeGemm(ctx context.Context, b workload.Backend, p workload.GemmParams) (float64, error) {
	const rounds = 3
	start := time.Now()
	for r := 0; r < rounds; r++ {
		job, err := workload.NewGemmJob(p)
		if err != nil {
			return 0, err
		}
		if _, err := workload.ComputeChunks(ctx, job, b); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds() / rounds, nil
}

// split sets the seconds per multiply-add (as gflops) and per drawn value
// from t1 and t2, the times of jobs p1 (mostly multiply-adds) and p2
// (mostly drawn values): each job's other share is taken from the other's
// measure, and is at most half its time, so that noise in one cannot make
// the other look free.
func (c *capacity) split(p1, p2 workload.GemmParams, t1, t2 float64) {
	mul := func(p workload.GemmParams) float64 { return float64(p.M) * float64(p.N) * float64(p.K) }
	drawn := func(p workload.GemmParams) float64 { return float64(p.M)*float64(p.K) + float64(p.K)*float64(p.N) }
	perMAC := t1 / mul(p1) // the draws counted as multiply-adds: high
	perValue := max(t2-mul(p2)*perMAC, t2/2) / drawn(p2)
	perMAC = max(t1-drawn(p1)*perValue, t1/2) / mul(p1)
	if perMAC > 0 && perValue > 0 {
		c.mu.Lock()
		c.gflops, c.genSecs = 2/perMAC/1e9, perValue
		c.mu.Unlock()
	}
}

// observeBlock updates the block interval from consecutive block times:
// the first interval seen sets it, each later one moves it a fifth of the
// way, counted at most maxBlockGrowth times the current interval. A pause
// of the chain (an upgrade's halt, a stall) is one interval of minutes; as
// one sample it made the interval 25× the truth for a block and over 2×
// for 14, and the agent bid on jobs whose windows it could not meet
// (TestAttackChainPauseInflatesTheBlockTime). Clamped, a pause moves it at
// most 20%, while a chain that stays slower is learned over a few blocks
// (at most 2× slower: as fast as before).
func (c *capacity) observeBlock(h int64, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastH > 0 && h > c.lastH && !t.IsZero() && t.After(c.lastT) {
		d := t.Sub(c.lastT).Seconds() / float64(h-c.lastH)
		if c.blockSeen {
			c.blockSecs = 0.8*c.blockSecs + 0.2*min(d, maxBlockGrowth*c.blockSecs)
		} else {
			c.blockSecs, c.blockSeen = d, true
		}
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

// observeJob updates the per-job overhead from an execution's wall time,
// its arithmetic estimate and its output's (outBytes). (A gemm job's A,
// drawn during the execution, counts as overhead here: the estimate errs
// long.)
func (c *capacity) observeJob(gflop float64, outBytes uint64, secs float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	over := math.Max(secs-gflop/c.gflops-float64(outBytes)*c.outSecs, 0)
	c.perJob = 0.9*c.perJob + 0.1*over
}

// seconds estimates a job's execution time from its floating-point work,
// the values it draws from seeded streams (BidShape.Generated) and the
// bytes of its output (Rows × Cols × 4: outSecs).
func (c *capacity) seconds(gflop float64, generated, outBytes uint64) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return gflop/c.gflops + float64(generated)*c.genSecs + float64(outBytes)*c.outSecs + c.perJob
}

// pricedGFLOP is the work a job is priced on (Pricing.Sized): its
// arithmetic, plus the GFLOP the worker could have done, at the calibrated
// rates, in the time its drawn values and its output take it. Priced on its
// arithmetic alone, a gemm of M = 1, whose time is its drawn Bᵀ, bought a
// worker for 50× the time its price paid for
// (TestAttackGemmOfDrawnValuesPricedByItsArithmetic).
func (c *capacity) pricedGFLOP(s jobexec.BidShape) float64 {
	out := float64(outputBytes(s))
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.GFLOP + (float64(s.Generated)*c.genSecs+out*c.outSecs)*c.gflops
}

// outputBytes is a job's output: Rows × Cols × 4 bytes, saturating.
func outputBytes(s jobexec.BidShape) uint64 {
	return common.SatMul(common.SatMul(s.Rows, s.Cols), 4)
}

// estimate returns a job's estimated execution seconds (its multiply-adds
// and the values it draws from seeded streams, at the calibrated rates, and
// its dataset's download: downloadSeconds), or
// why the agent will not bid on it: a kind it cannot run, a job beyond its
// limits (admitShape), or a model it cannot fetch and check now (an mlp or
// gpt job's model is fetched and hashed before the agent commits to it; its
// dataset, which only the winner may read, is checked against its size
// limits).
func (a *Agent) estimate(ctx context.Context, job computetypes.Job) (float64, string) {
	_, est, why := a.estimateShape(ctx, job)
	return est, why
}

// estimateShape is estimate with the job's shape, which prices it (decide).
func (a *Agent) estimateShape(ctx context.Context, job computetypes.Job) (jobexec.BidShape, float64, string) {
	k, ok := jobexec.Lookup(job.Workload.Kind)
	if !ok || !k.Needs.MetBy(jobexec.Needs{Model: a.cfg.MLP != nil, Dataset: a.cfg.MLP != nil}) {
		return jobexec.BidShape{}, 0, "kind"
	}
	if a.params.MaxChunkCount > 0 && job.ExpectedChunkCount > a.params.MaxChunkCount {
		return jobexec.BidShape{}, 0, "chunk count"
	}
	s, why := a.shape(ctx, job)
	if why != "" {
		return jobexec.BidShape{}, 0, why
	}
	est := a.cap.seconds(s.GFLOP, s.Generated, outputBytes(s))
	return s, est + a.downloadSeconds(s), ""
}

// downloadSeconds is the time a won job's dataset takes to download
// (InputBytes at Config.DownloadRate), which the job's execution window
// must hold besides its work: the rows open to the winner only, after the
// award. Left out, a job over a 512 MiB dataset with the chain's shortest
// window was bid on as a fraction of a second of work, and its download
// alone outlasted the window (TestAttackShortWindowOverALargeDataset).
func (a *Agent) downloadSeconds(s jobexec.BidShape) float64 {
	if s.DatasetID == 0 {
		return 0
	}
	return float64(s.InputBytes) / float64(max(a.cfg.DownloadRate, 1))
}

// shape sizes a job through its kind's row (jobexec.SizeOf: the model
// fetched and checked first where the kind has one), then applies the
// agent's own limits (admitShape) and asks the dataset's server whether it
// serves the job's pinned version. A kind that reads a model or a dataset
// is sized on the sizer's goroutine, waited for until ctx ends (why is
// whySizing after that: ErrStillSizing).
func (a *Agent) shape(ctx context.Context, job computetypes.Job) (jobexec.BidShape, string) {
	// The job's terms, which the chain verifies it under, not the params in
	// force (TestAttackJobPostedBeforeAVerificationRaiseIsSizedByLiveParams);
	// a copy for the sizer's goroutine.
	params := job.Terms.Under(a.params)
	if k, ok := jobexec.Lookup(job.Workload.Kind); !ok || k.Needs == (jobexec.Needs{}) {
		return a.shapeNow(ctx, job, params)
	}
	s, err := a.sizing.size(ctx, job, sizingBackstop, func(ctx context.Context) shapeResult {
		var s shapeResult
		s.shape, s.why = a.shapeNow(ctx, job, params)
		return s
	})
	if errors.Is(err, ErrStillSizing) {
		return jobexec.BidShape{}, whySizing
	}
	return s.shape, s.why
}

// shapeNow is shape on the caller's goroutine, under the job's params.
func (a *Agent) shapeNow(ctx context.Context, job computetypes.Job, params computetypes.Params) (jobexec.BidShape, string) {
	var src jobexec.ProviderSource
	if a.cfg.MLP != nil {
		src = a.cfg.MLP
	}
	s, err := jobexec.SizeOf(ctx, job, src)
	switch {
	case errors.Is(err, jobexec.ErrUnsupported):
		return jobexec.BidShape{}, "kind"
	case errors.Is(err, jobexec.ErrChunkTooLarge):
		// Every validator's sidecar would abstain on its chunks: won, it
		// would end unverified and unpaid.
		a.log.Info("not bidding: its chunks are too large for a verifier", "job", job.Id, "err", err)
		return jobexec.BidShape{}, "chunk memory"
	case errors.Is(err, jobexec.ErrDatasetMemory):
		// Its dataset's chunks are so small that their index would take
		// more memory than the agent holds for a dataset's values.
		a.log.Info("not bidding: its dataset's chunk index is too large", "job", job.Id, "err", err)
		return jobexec.BidShape{}, "dataset memory"
	case err != nil:
		a.log.Info("not bidding: model unavailable", "job", job.Id, "err", err)
		return jobexec.BidShape{}, "model"
	}
	if why := a.admitShape(job, s, params); why != "" {
		return jobexec.BidShape{}, why
	}
	if s.DatasetID != 0 {
		if why := a.datasetServed(ctx, job, s.DatasetID); why != "" {
			return jobexec.BidShape{}, why
		}
	}
	return s, ""
}

// memoryHolder is a model and dataset source that keeps models and dataset
// versions in memory of its own, beside the jobs that use them, at most
// MemoryBytes (jobexec.ChainResolver).
type memoryHolder interface {
	MemoryBytes() uint64
}

// jobsMemory is the memory budget the jobs the agent holds may take
// (admitMemory): Config.MaxMemoryBytes less what its model and dataset
// source and its chunk store may keep in memory beside them (cached),
// which an attacker's large models, dataset versions and outputs of many
// chunks fill as surely as its jobs
// (TestAttackCachedModelsOverrunTheMemoryBudget,
// TestAttackCachedDatasetFilesOverrunTheMemoryBudget,
// TestAttackHeldJobsTreesOverrunTheMemoryBudget).
func (a *Agent) jobsMemory() (budget, cached uint64) {
	if h, ok := a.cfg.MLP.(memoryHolder); ok {
		cached = h.MemoryBytes()
	}
	if a.chunks != nil {
		cached = common.SatAdd(cached, a.chunks.MemoryBytes())
	}
	return a.cfg.MaxMemoryBytes - min(cached, a.cfg.MaxMemoryBytes), cached
}

// diskPins is a model source with a disk cache (jobexec.ChainResolver).
type diskPins interface {
	PinModel(ctx context.Context, modelID uint64) (string, error)
	KeepModels(shas []string)
}

// diskPins is the agent's disk cache when it serves the validators
// weights from one (nil otherwise: nothing to keep).
func (a *Agent) diskPins() diskPins {
	if d, ok := a.cfg.MLP.(diskPins); ok && a.cfg.Weights != nil {
		return d
	}
	return nil
}

// pinWeights keeps a job's model weights in the disk cache as the agent
// decides to bid on it, and returns their sha256 for its record: the agent
// serves a held job's weights to the validators whose fetch from the
// model's uri fails, so a job whose weights the cache, full of the files of
// the jobs it holds, did not take (jobexec.ErrCacheFull) is not bid on
// (why "disk": TestAttackFullCacheJobIsNotBidOn), and no sizing after the
// decision can evict them (TestAttackFloodInTheBidRoundEvictsABidJobsWeights).
// A failure to read the model's record (a node slow to answer) is not a
// decision: the job is decided again at a later step (whySizing), where it
// had been refused for good, the job lost to one timed-out query
// (TestSlowRecordQueryDoesNotRefuseTheBid).
func (a *Agent) pinWeights(ctx context.Context, job computetypes.Job) (string, string) {
	d := a.diskPins()
	if d == nil {
		return "", ""
	}
	id := sizedModel(job)
	if id == 0 {
		return "", ""
	}
	sha, err := d.PinModel(ctx, id)
	switch {
	case errors.Is(err, jobexec.ErrCacheFull):
		a.log.Info("not bidding: the model's weights are not in the disk cache", "job", job.Id, "model", id, "err", err)
		return "", "disk"
	case err != nil:
		a.log.Info("not bidding yet: cannot pin the model's weights now (decided again at the next step)", "job", job.Id, "model", id, "err", err)
		a.sizing.again()
		return "", whySizing
	}
	return sha, ""
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
