package provider

import (
	"context"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// fakeGPT is a model and dataset source with one gpt-f32 model (id 4).
type fakeGPT struct {
	fakeMLP
	model *workload.GPTModel
}

func (f fakeGPT) GPTModel(_ context.Context, id uint64) (*workload.GPTModel, error) {
	if id != 4 {
		return nil, errors.New("model not found")
	}
	return f.model, nil
}

// The agent bids on a gpt-f32 job whose model it fetched and checked: an
// output row is max_new_tokens ids and the vocabulary's logits, and the
// work is the job's mul_adds; it skips one whose model it cannot load, or
// when it has no source of gpt-f32 models.
func TestDecideGPT(t *testing.T) {
	model, err := workload.RandomGPT(workload.GPTConfig{Layers: 1, Heads: 2, Embed: 16, Vocab: 256, Context: 32}, 3)
	if err != nil {
		t.Fatal(err)
	}
	a := testAgent(t)
	served := fakeMLP{ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 1}}} // serves prompt dataset 1
	a.cfg.MLP = fakeGPT{fakeMLP: served, model: model}
	a.cfg.Hardware.Workloads = []string{workload.KindGemm, workload.KindMLP, workload.KindGPT}
	ctx := context.Background()
	job := computetypes.Job{Id: 1, Requester: "aic1alice", MaxPrice: sdk.NewInt64Coin("uaic", 5000), CommitEnd: 105, RevealEnd: 110,
		ExecBlocks: 40, ExpectedChunkCount: 3, Rows: 5, MulAdds: 4e8,
		Workload: computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 2,
			Gpt: &computetypes.GptSpec{ModelId: 4, DatasetId: 1, MaxNewTokens: 8}}}
	s, why := a.shape(ctx, job)
	if why != "" || s.Rows != 5 || s.Cols != 8+256 || s.GFLOP != 0.8 {
		t.Fatalf("shape: %d rows × %d cols, %v GFLOP, %q", s.Rows, s.Cols, s.GFLOP, why)
	}
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	if r, why := a.decide(ctx, job, &rich); r == nil {
		t.Fatalf("a small gpt job refused: %s", why)
	}
	gone := job
	gone.Id, gone.Workload.Gpt = 2, &computetypes.GptSpec{ModelId: 9, DatasetId: 1, MaxNewTokens: 8}
	if r, why := a.decide(ctx, gone, &rich); r != nil || why != "model" {
		t.Fatalf("a job whose model is gone: %v %q", r != nil, why)
	}
	notServed := job
	notServed.Id, notServed.Workload.Gpt = 4, &computetypes.GptSpec{ModelId: 4, DatasetId: 7, MaxNewTokens: 8}
	if r, why := a.decide(ctx, notServed, &rich); r != nil || why != "dataset" {
		t.Fatalf("a job whose prompt dataset is not served: %v %q", r != nil, why)
	}
	a.cfg.MLP = fakeMLP{}
	job.Id = 3
	if r, why := a.decide(ctx, job, &rich); r != nil || why != "kind" {
		t.Fatalf("no gpt-f32 source: %v %q", r != nil, why)
	}
}
