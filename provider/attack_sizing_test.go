package provider

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// withRecords is a gpt source that also reads datasets' on-chain records
// (as jobexec.ChainResolver does): one record for every id.
type withRecords struct {
	fakeGPT
	rec datamarkettypes.Dataset
}

func (w withRecords) DatasetRecord(_ context.Context, id, _ uint64) (datamarkettypes.Dataset, error) {
	rec := w.rec
	rec.Id = id
	return rec, nil
}

// mlpJob is an mlp-f32 job over rows dataset rows in chunks of chunkRows.
func mlpJob(id, rows, chunkRows uint64) computetypes.Job {
	job := gemmJob(id, 8, 1000)
	job.Rows, job.ExpectedChunkCount = rows, (rows+chunkRows-1)/chunkRows
	job.Workload = computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: chunkRows, Mlp: &computetypes.MlpSpec{ModelId: 3, DatasetId: 5}}
	return job
}

// TestAttackDatasetOverParserLimitIsNotBidOn: a dataset owner (or a
// requester over its own dataset) listed a 2 GiB dataset; x/datamarket and
// x/compute admit up to 2^31 values. The agent sized the input against
// --max-output-bytes (4 GiB; a gpt job's prompt dataset not at all), bid,
// won, downloaded the file, and its parser (1 GiB files by default) refused
// it; the validators' input check found the inputs available, so the abort
// was a timeout and the honest provider lost its collateral. Now the agent
// does not bid on an mlp or gpt job whose dataset exceeds what its resolver
// parses (jobexec.MaxInputBytes), and bids on one within it.
func TestAttackDatasetOverParserLimitIsNotBidOn(t *testing.T) {
	const cols = 1024
	lim := jobexec.MaxInputBytes(nil)
	model := &workload.Model{Layers: []workload.Layer{{In: cols, Out: 1, Weight: make([]float32, cols)}}}
	a := testAgent(t)
	a.cap.gflops = 20000
	a.cfg.MLP = fakeMLP{model: model, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}
	ctx := context.Background()
	big := mlpJob(1, 1<<19, 256) // 2^29 values: 2 GiB
	if est, why := a.estimate(ctx, big); why != "dataset over parse limit" {
		t.Fatalf("mlp over a 2 GiB dataset: est %.2f s, why %q; the parser takes %d bytes", est, why, lim)
	}
	if _, why := a.estimate(ctx, mlpJob(2, lim/4/cols, 256)); why != "" {
		t.Fatalf("mlp over a dataset at the parser's limit: %q", why)
	}

	gm, err := workload.RandomGPT(workload.GPTConfig{Layers: 1, Heads: 2, Embed: 16, Vocab: 256, Context: 1024}, 3)
	if err != nil {
		t.Fatal(err)
	}
	src := withRecords{fakeGPT: fakeGPT{fakeMLP: fakeMLP{ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}, model: gm},
		rec: datamarkettypes.Dataset{Rows: 1 << 19, Cols: 1000, Format: datamarkettypes.FormatNpyI32}} // 2 GB of prompts
	a.cfg.MLP = src
	gpt := mlpJob(3, 1<<19, 256)
	gpt.MulAdds = 1 << 24
	gpt.Workload = computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 256, Gpt: &computetypes.GptSpec{ModelId: 4, DatasetId: 5, MaxNewTokens: 1}}
	if _, why := a.estimate(ctx, gpt); why != "dataset over parse limit" {
		t.Fatalf("gpt over a 2 GB prompt dataset: why %q", why)
	}
	src.rec.Rows = 1 << 12
	a.cfg.MLP = src
	gpt.Id, gpt.Rows, gpt.ExpectedChunkCount = 4, 1<<12, 1<<4
	if _, why := a.estimate(ctx, gpt); why != "" {
		t.Fatalf("gpt over a small prompt dataset: %q", why)
	}
}

// TestAttackMLPSampledChunkWorkIsBounded: the chain records no work for an
// mlp-f32 job (mul_adds 0: the model's hidden widths are not on chain), so
// neither max_work_per_exec_block nor the assurance bound on sampled work
// applied. A requester posted an mlp job over a narrow dataset (1 input, 1
// output: 65536-row chunks pass max_chunk_bytes) with hidden layers of
// 8 × 4096×4096: one sampled chunk is 8.8·10^12 multiply-adds, 64× what a
// gpt chunk may cost and 176× the whole verification budget. A GPU
// provider sized it at seconds and bid; the validators' CPU sidecars could
// not recompute the chunk in the window, the verification was inconclusive
// and the honest provider was paid nothing. Now the agent refuses a chunk
// over computetypes.GPTMaxChunkMulAdds, sampled chunks over
// max_work_per_exec_block × verification_blocks, and activations (two of
// the widest layer over every row) beyond its memory budget.
func TestAttackMLPSampledChunkWorkIsBounded(t *testing.T) {
	deep := func(in, hidden, depth int) *workload.Model {
		shared := make([]float32, hidden*hidden)
		layers := []workload.Layer{{In: in, Out: hidden, Weight: make([]float32, in*hidden)}}
		for i := 0; i < depth; i++ {
			layers = append(layers, workload.Layer{In: hidden, Out: hidden, Weight: shared})
		}
		return &workload.Model{Layers: append(layers, workload.Layer{In: hidden, Out: 1, Weight: make([]float32, hidden)})}
	}
	a := testAgent(t)
	a.cap.gflops = 20000 // a GPU provider
	ds := &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}
	ctx := context.Background()
	budget := a.params.MaxWorkPerExecBlock * a.params.VerificationBlocks
	for name, c := range map[string]struct {
		model *workload.Model
		job   computetypes.Job
		why   string
	}{
		// 65536 × 1.3·10^8: 8.8·10^12 multiply-adds in one chunk.
		"one chunk": {deep(1, 4096, 8), mlpJob(1, 65536, 65536), "chunk work"},
		// 4096 × 1.6·10^7 = 6.9·10^10 a chunk (within 2^37), 4 sampled: 2.7·10^11 > 5·10^10.
		"sampled": {deep(1, 4096, 1), mlpJob(2, 1<<20, 4096), "verification work"},
		// 2^20 rows × 4096 × 4 bytes × 2: 32 GiB of activations, in small chunks.
		"activations": {deep(1, 4096, 0), mlpJob(3, 1<<20, 16), "memory"},
		"small":       {deep(1, 64, 2), mlpJob(4, 1<<16, 256), ""},
	} {
		a.cfg.MLP = fakeMLP{model: c.model, ds: ds}
		if c.model.Validate() != nil {
			t.Fatalf("%s: invalid model", name)
		}
		if est, why := a.estimate(ctx, c.job); why != c.why {
			t.Errorf("%s: est %.2f s, why %q, want %q (gpt chunks are capped at %.2g multiply-adds, the verification budget is %.2g)",
				name, est, why, c.why, float64(computetypes.GPTMaxChunkMulAdds), float64(budget))
		}
	}
}

// TestAttackGemmSizingCountsGeneratingB: a gemm job's A and Bᵀ are drawn
// value by value from seeded streams on the host, Bᵀ (K×N) whole before any
// row is computed, and held in memory (up to 2^31 values: 8 GiB). The
// agent's estimate counted only M·N·K multiply-adds, so a requester's job of
// few rows and a large K×N (M=1, N=32768, K=65536: mul_adds 2^31, admitted
// with 3 exec blocks) was estimated under a second, then took about a
// minute and 8 GiB per job held, missed its window and cost the provider
// its collateral. Now the estimate counts every drawn value at the host's
// calibrated cost (how close that comes to the time a job takes is
// measured side by side in BenchmarkGemmEstimate, not asserted here), and a
// job whose Bᵀ, times the jobs the agent holds at once, exceeds its memory
// budget is not bid on.
func TestAttackGemmSizingCountsGeneratingB(t *testing.T) {
	ctx := context.Background()
	a := testAgent(t)
	a.cap.gflops, a.cap.genSecs, a.cap.perJob = 50, 2e-9, 0 // a host drawing a value in 2 ns
	a.cap.outSecs = 0                                       // its 4 KiB output: TestAttackWideOutputJobOutrunsItsEstimate
	const m, n, k = 1, 1024, 65536
	job := gemmJobNK(1, m, n, k, 1000)
	job.MulAdds = m * n * k // as the chain records it
	est, why := a.estimate(ctx, job)
	if why != "" {
		t.Fatalf("refused: %s", why)
	}
	arith := 2 * float64(job.MulAdds) / 1e9 / a.cap.gflops
	drawn := float64(n*k+m*k) * a.cap.genSecs
	// The drawn values cost 50× the arithmetic here: without them the
	// estimate is 0.0027 s, with them 0.134 s.
	if diff := est - (arith + drawn); diff > 1e-9 || diff < -1e-9 {
		t.Fatalf("estimated %.4f s; the arithmetic is %.4f s and the %d drawn values %.4f s", est, arith, n*k+m*k, drawn)
	}
	a.cfg.MaxMemoryBytes = 4 << 30
	wide := gemmJobNK(2, 1, 4096, 65536, 1000) // Bᵀ of 1 GiB, 6 jobs held at once
	wide.MulAdds = 1 << 28
	if _, why := a.estimate(ctx, wide); why != "memory" {
		t.Fatalf("a job holding 1 GiB for Bᵀ (budget %d bytes, %d fetchers and %d workers): why %q",
			a.cfg.MaxMemoryBytes, a.cfg.Fetchers, a.cfg.Workers, why)
	}
	// Bᵀ of 8 GiB: more than any verifier holds for a chunk (jobexec.ErrChunkTooLarge).
	huge := gemmJobNK(3, 1, 32768, 65536, 1000)
	huge.MulAdds = 1 << 31
	if _, why := a.estimate(ctx, huge); why != "chunk memory" {
		t.Fatalf("a job holding 8 GiB for Bᵀ: why %q, want chunk memory", why)
	}
}

// BenchmarkGemmEstimate runs a job of few rows and a large Bᵀ (2^26 drawn
// values, 256 MiB) the way the agent runs one, after the agent's own
// calibration on the same machine, and reports the time it took over the
// time the agent estimated (took/est; 1 is exact, the bid's safety margin
// covers a few).
func BenchmarkGemmEstimate(b *testing.B) {
	ctx := context.Background()
	a := testAgent(b)
	be := cpu.New()
	a.cap.calibrate(ctx, be, slog.New(slog.NewTextHandler(io.Discard, nil)))
	job := gemmJobNK(1, 1, 1024, 65536, 1000)
	job.MulAdds = 1 * 1024 * 65536
	est, why := a.estimate(ctx, job)
	if why != "" {
		b.Fatalf("refused: %s", why)
	}
	var took float64
	for i := 0; i < b.N; i++ {
		start := time.Now()
		w, err := jobexec.FromJob(ctx, job.Workload, 0, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := workload.ComputeChunks(ctx, w, be); err != nil {
			b.Fatal(err)
		}
		took += time.Since(start).Seconds()
	}
	b.ReportMetric(took/float64(b.N)/est, "took/est")
	b.ReportMetric(a.cap.genSecs*1e9, "ns/drawn-value")
}
