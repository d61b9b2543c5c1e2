package provider

import (
	"context"
	"testing"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackJobsOverLargeDatasetsOverrunTheMemoryBudget: a hostile
// requester posts cheap mlp-f32 jobs over large datasets of its own (one
// column short of the parser's limit: 1 GiB of values each). A job's fetch
// reads its dataset's values and the built job holds them until its
// execution ends, but the sizing put nothing in HeldBytes, so the agent's
// memory admission counted none of it: an agent with a 4 GiB budget bid on
// every such job, and its 4 fetchers and 2 workers held 6 GiB of datasets
// beside the jobs' activations, past the budget, until the host killed it
// and every job it held timed out, its collateral lost. Now an mlp's or a
// gpt's dataset values are its HeldBytes, counted for every job the
// fetchers and workers hold (admitMemory); smaller datasets are still bid on.
func TestAttackJobsOverLargeDatasetsOverrunTheMemoryBudget(t *testing.T) {
	const cols, chunk = 256, 256
	a := testAgent(t)
	a.cap.gflops = 20000
	a.cfg.MaxMemoryBytes = 4 << 30
	slots := uint64(a.cfg.Fetchers + a.cfg.Workers)
	model := &workload.Model{Layers: []workload.Layer{{In: cols, Out: 1, Weight: make([]float32, cols)}}}
	a.cfg.MLP = fakeMLP{model: model, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}
	ctx := context.Background()
	rows := jobexec.MaxInputBytes(nil) / 4 / cols // 1 GiB of values
	if held := rows * cols * 4 * slots; held <= a.cfg.MaxMemoryBytes {
		t.Fatalf("%d jobs like it hold %d bytes of datasets, within the %d budget: not the attack", slots, held, a.cfg.MaxMemoryBytes)
	}
	if _, why := a.estimate(ctx, mlpJob(1, rows, chunk)); why != "memory" {
		t.Fatalf("mlp over 1 GiB of values, %d jobs held at once, a %d-byte budget: why %q, want memory", slots, a.cfg.MaxMemoryBytes, why)
	}
	if _, why := a.estimate(ctx, mlpJob(2, rows/8, chunk)); why != "" {
		t.Fatalf("mlp over 128 MiB of values: %q", why)
	}

	gm, err := workload.RandomGPT(workload.GPTConfig{Layers: 1, Heads: 2, Embed: 16, Vocab: 256, Context: 1024}, 3)
	if err != nil {
		t.Fatal(err)
	}
	const promptCols = 1000
	promptRows := jobexec.MaxInputBytes(nil) / 4 / promptCols
	src := withRecords{fakeGPT: fakeGPT{fakeMLP: fakeMLP{ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}, model: gm},
		rec: datamarkettypes.Dataset{Rows: promptRows, Cols: promptCols, Format: datamarkettypes.FormatNpyI32}}
	a.cfg.MLP = src
	gpt := mlpJob(3, promptRows, chunk)
	gpt.MulAdds = 1 << 24
	gpt.Workload = computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: chunk, Gpt: &computetypes.GptSpec{ModelId: 4, DatasetId: 5, MaxNewTokens: 1}}
	if _, why := a.estimate(ctx, gpt); why != "memory" {
		t.Fatalf("gpt over 1 GiB of prompts, %d jobs held at once, a %d-byte budget: why %q, want memory", slots, a.cfg.MaxMemoryBytes, why)
	}
}
