package provider

import (
	"context"
	"sync/atomic"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// stallGPT is a gpt-f32 model source whose model 66 (the attacker's) never
// finishes arriving (a server trickling just above the fetch policy's
// MinRate), while model 4 is at hand.
type stallGPT struct {
	fakeGPT
	stalled *atomic.Int32
}

func (s stallGPT) GPTModel(ctx context.Context, id uint64) (*workload.GPTModel, error) {
	if id == 66 {
		s.stalled.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.fakeGPT.GPTModel(ctx, id)
}

func gptBidJob(id uint64, requester string, model uint64) computetypes.Job {
	return computetypes.Job{Id: id, Requester: requester, MaxPrice: sdk.NewInt64Coin("uaic", 5000), CommitEnd: 105, RevealEnd: 110,
		ExecBlocks: 40, ExpectedChunkCount: 3, Rows: 5, MulAdds: 4e8,
		Workload: computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 2,
			Gpt: &computetypes.GptSpec{ModelId: model, DatasetId: 1, MaxNewTokens: 8}}}
}

// TestAttackGPTSizingSlotsHeldByTrickledModels: the sizing slots' shares
// (one sizing per model, the last slot kept for a model read before) key on
// sizedModel, which read job.Workload.Mlp only: every gpt-f32 job counted as
// "no model", so it was cold and never waited on another fetch of the same
// model. An attacker with two requester addresses posts 3 gpt jobs on a model
// whose server trickles; they took the 3 cold slots for the fetch policy's
// minutes, and an honest gpt job on a model the agent has already read (warm)
// was never sized and never bid on through its whole commit window. Now
// sizedModel reads a gpt job's model too, as the same attack with mlp jobs
// (TestAttackSizingSlotsHeldByTwoRequesterAddresses).
func TestAttackGPTSizingSlotsHeldByTrickledModels(t *testing.T) {
	model, err := workload.RandomGPT(workload.GPTConfig{Layers: 1, Heads: 2, Embed: 16, Vocab: 256, Context: 32}, 3)
	if err != nil {
		t.Fatal(err)
	}
	a := testAgent(t)
	var stalled atomic.Int32
	served := fakeMLP{ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 1}}}
	a.cfg.MLP = stallGPT{fakeGPT: fakeGPT{fakeMLP: served, model: model}, stalled: &stalled}
	a.cfg.Hardware.Workloads = []string{workload.KindGemm, workload.KindMLP, workload.KindGPT}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.sizing.start(ctx)
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)

	// An honest gpt job on model 4 is sized and bid on: model 4 is read.
	a.height = 99
	warm := gptBidJob(9, "aic1alice", 4)
	for h := int64(97); a.recs[warm.Id] == nil && h < 100; h++ {
		a.decideOpen(ctx, []computetypes.Job{warm}, rich)
	}
	if a.recs[warm.Id] == nil {
		t.Fatalf("setup: the first honest gpt job on model 4 was not bid on")
	}

	var open []computetypes.Job
	for id := uint64(1); id <= maxSizings; id++ {
		j := gptBidJob(id, []string{"aic1mallory1", "aic1mallory2"}[id%2], 66)
		j.CommitEnd = 104 // first in the agent's order
		open = append(open, j)
	}
	honest := gptBidJob(10, "aic1alice", 4) // commit end 105, model 4 read before
	open = append(open, honest)
	for h := int64(100); h+2 <= honest.CommitEnd; h++ {
		a.height = h
		jobs := append([]computetypes.Job(nil), open...)
		a.decideOpen(ctx, jobs, rich)
	}
	if a.recs[honest.Id] == nil {
		t.Fatalf("no bid on the honest gpt job %d (model 4, read before) through its commit window: %d attacker gpt jobs "+
			"from 2 addresses on one trickling model hold the cold sizing slots (%d stalled fetches); sizedModel ignores "+
			"Workload.Gpt, so no gpt job is ever warm or shares a model's fetch", honest.Id, maxSizings, stalled.Load())
	}
}
