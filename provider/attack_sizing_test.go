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
// its collateral. Now the estimate counts the drawn values at a rate
// calibrated the way multiply-adds are, and comes within 4× of the time the
// job takes on the same machine, measured side by side; and a job whose Bᵀ,
// times the jobs the agent holds at once, exceeds its memory budget is not
// bid on.
func TestAttackGemmSizingCountsGeneratingB(t *testing.T) {
	ctx := context.Background()
	a := testAgent(t)
	b := cpu.New()
	a.cap.calibrate(ctx, b, slog.New(slog.NewTextHandler(io.Discard, nil)))
	job := gemmJobNK(1, 1, 1024, 65536, 1000)
	job.MulAdds = 1 * 1024 * 65536 // as the chain records it
	est, why := a.estimate(ctx, job)
	if why != "" {
		t.Fatalf("refused: %s", why)
	}
	start := time.Now()
	w, err := jobexec.FromJob(ctx, job.Workload, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := workload.ComputeChunks(ctx, w, b); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start).Seconds()
	t.Logf("estimated %.3f s (%.2f GFLOP/s, %.2f ns a drawn value), took %.3f s", est, a.cap.gflops, a.cap.genSecs*1e9, took)
	if took > 4*est || est > 4*took {
		t.Fatalf("estimated %.3f s (%.2f GFLOP/s, %.1f ns a drawn value), the job took %.3f s: not within 4×",
			est, a.cap.gflops, a.cap.genSecs*1e9, took)
	}
	wide := gemmJobNK(2, 1, 32768, 65536, 1000) // Bᵀ of 8 GiB, 6 jobs held at once
	wide.MulAdds = 1 << 31
	if _, why := a.estimate(ctx, wide); why != "memory" {
		t.Fatalf("a job holding 8 GiB for Bᵀ (budget %d bytes, %d fetchers and %d workers): why %q",
			a.cfg.MaxMemoryBytes, a.cfg.Fetchers, a.cfg.Workers, why)
	}
}
