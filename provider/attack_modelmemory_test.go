package provider

import (
	"context"
	"runtime"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackJobsOnDistinctModelsOverrunTheMemoryBudget: a won mlp or gpt
// job holds its model's parsed weights from its fetch to the end of its
// execution (the built workload references them), but its sizing counted
// only its dataset's values (HeldBytes): the model was counted nowhere, or
// only in the resolver's cache bound, which keeps no model larger than it
// and evicts the others while jobs still hold them. A hostile model owner
// posts one cheap job on each of 6 distinct models over a tiny dataset, one
// for each fetch slot and worker: the agent bids on all, and its slots hold
// 6 models' weights beside its caches (six 1 GiB models on a 16 GiB host,
// budget 8 GiB: 6 GiB counted nowhere; the host kills the agent, and every
// job it holds times out, its collateral lost). Measured at 4 MiB a model.
// Now a kind's sizing counts its model's parsed weights in HeldBytes
// (BidShape.ModelBytes), for every slot; a job on a small model is still
// bid on.
func TestAttackJobsOnDistinctModelsOverrunTheMemoryBudget(t *testing.T) {
	const width, rows = 1024, 8
	files, _ := datasetVersions(t, rows, width, rows, 1)
	a := testAgent(t)
	slots := a.cfg.Fetchers + a.cfg.Workers
	var mlps []*workload.Model
	for id := 1; id <= slots; id++ {
		w := make([]float32, width*width) // 4 MiB of weights
		w[0] = float32(id)
		mlps = append(mlps, &workload.Model{Layers: []workload.Layer{
			{In: width, Out: width, Weight: w}, {In: width, Out: 1, Weight: make([]float32, width)}}})
	}
	small := &workload.Model{Layers: []workload.Layer{{In: width, Out: 1, Weight: make([]float32, width)}}} // 4 KiB
	recs, _ := servedModels(t, append(mlps, small)...)
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{ // no model kept in memory: each is over the bound
		Models: modelreg.Of(recs...), Datasets: files,
		Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		Fetch:  jobexec.FetchPolicy{AllowLocal: true}, ModelMemoryBytes: 1 << 20, DatasetMemoryBytes: 64 << 10,
	})
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	a.cfg.MLP = resolver
	setMemoryBudget(t, a, 20<<20)
	ctx := context.Background()
	onModel := func(id, model uint64) computetypes.Job {
		job := mlpJob(id, rows, rows)
		job.DatasetVersion, job.Workload.Mlp.ModelId = 1, model
		return job
	}

	// What the fetch slots and workers hold with one such job each: the
	// jobs built as the agent's fetch builds them, measured.
	base := liveHeap()
	built := make([]workload.Job, 0, slots)
	for id := 1; id <= slots; id++ {
		w, err := jobexec.FromJob(ctx, onModel(uint64(10+id), uint64(id)).Workload, 1, resolver)
		if err != nil {
			t.Fatalf("setup: fetch of the job on model %d: %v", id, err)
		}
		built = append(built, w)
	}
	held := uint64(max(liveHeap()-base, 0))
	runtime.KeepAlive(built)
	budget, cached := a.jobsMemory()
	for id := uint64(1); id <= uint64(slots); id++ {
		if _, why := a.estimate(ctx, onModel(20+id, id)); why == "" && held > budget {
			t.Fatalf("the agent bids on a job on model %d (%d MiB of weights) though %d jobs like it, one per fetch slot and worker, "+
				"hold %d MiB, over the %d MiB its budget (%d MiB) leaves the jobs beside its caches (%d MiB)",
				id, mlps[id-1].InputDim()*width*4>>20, slots, held>>20, budget>>20, a.cfg.MaxMemoryBytes>>20, cached>>20)
		}
	}
	if s, err := jobexec.SizeOf(ctx, onModel(30, 1), resolver); err != nil || s.HeldBytes*uint64(slots) < held*9/10 {
		t.Errorf("the sizing counts %d bytes a slot (%v), %d in %d slots; the built jobs hold %d", s.HeldBytes, err,
			s.HeldBytes*uint64(slots), slots, held)
	}

	// The honest path: a job on a 4 KiB model fits.
	if _, why := a.estimate(ctx, onModel(31, uint64(slots+1))); why != "" {
		t.Fatalf("a job on a 4 KiB model over a 32 KiB dataset: why %q", why)
	}
}

// boundedSource is a model and dataset source that reports the memory
// bound of its caches as a resolver does (memoryHolder).
type boundedSource struct {
	withRecords
	bytes uint64
}

func (b boundedSource) MemoryBytes() uint64 { return b.bytes }

// TestHonestJobsFitTheDefaultMemoryBudget: with the models' weights, the
// loads' files and the outputs' trees counted, the agent still bids, on
// its default budget (half the host's memory; the resolver's caches and
// the trees' bound as the command sizes them from it), on an mlp job over
// 60,000 rows of 784 values on a 16 GiB host; on a GPT-2 small job (124M
// parameters: 474 MiB of weights in each slot, and its 523 MiB file in
// each fetch slot that loads it) over 256 prompts of 128 tokens on the
// same host with 2 fetch slots, and over 1024 prompts on a 32 GiB host.
// With 4 fetch slots a 16 GiB host holds too little for the GPT-2 job
// (6 copies of its weights and 4 of its file: 5.9 GiB of the 4.4 GiB left
// to the jobs), as an attacker's jobs on 6 distinct models of its size
// would take.
func TestHonestJobsFitTheDefaultMemoryBudget(t *testing.T) {
	ctx := context.Background()
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{ // the command's sizes from a budget of 8 GiB or more (resolverMemory)
		ModelMemoryBytes: jobexec.DefaultModelMemoryBytes, DatasetMemoryBytes: jobexec.DefaultDatasetMemoryBytes})
	gpt2 := &workload.GPTModel{Config: workload.GPTConfig{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}} // sized by its config
	mlp := &workload.Model{Layers: []workload.Layer{{In: 784, Out: 1024, Weight: make([]float32, 784*1024)},
		{In: 1024, Out: 1024, Weight: make([]float32, 1024*1024)}, {In: 1024, Out: 10, Weight: make([]float32, 1024*10)}}}
	gptJob := func(prompts uint64) computetypes.Job {
		job := mlpJob(1, prompts, 16)
		job.MulAdds = 1 << 40
		job.Workload = computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 16,
			Gpt: &computetypes.GptSpec{ModelId: 4, DatasetId: 5, MaxNewTokens: 32}}
		return job
	}
	for _, c := range []struct {
		name     string
		budget   uint64
		fetchers int
		job      computetypes.Job
		cols     uint64 // the dataset's
	}{
		{"mlp, 16 GiB host", 8 << 30, 0, mlpJob(2, 60000, 1000), 784},
		{"gpt-2 small over 256 prompts, 16 GiB host, 2 fetch slots", 8 << 30, 2, gptJob(256), 128},
		{"gpt-2 small over 1024 prompts, 32 GiB host", 16 << 30, 0, gptJob(1024), 128},
	} {
		a := testAgent(t)
		setMemoryBudget(t, a, c.budget)
		if c.fetchers > 0 {
			a.cfg.Fetchers = c.fetchers
		}
		a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP, workload.KindGPT)
		a.cfg.MLP = boundedSource{bytes: resolver.MemoryBytes(), withRecords: withRecords{
			fakeGPT: fakeGPT{fakeMLP: fakeMLP{model: mlp, ds: &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}}}, model: gpt2},
			rec:     datamarkettypes.Dataset{Rows: c.job.Rows, Cols: c.cols, RowsPerChunk: 64, Format: datamarkettypes.FormatNpyI32}}}
		s, err := jobexec.SizeOf(ctx, c.job, a.cfg.MLP)
		if err != nil {
			t.Fatal(c.name, err)
		}
		budget, cached := a.jobsMemory()
		t.Logf("%s: %d MiB in all slots (weights %d MiB a slot, a load %d MiB), %d MiB for the jobs beside %d MiB of caches",
			c.name, memoryNeed(t, a, c.job)>>20, s.ModelBytes>>20, s.LoadBytes>>20, budget>>20, cached>>20)
		if _, why := a.estimate(ctx, c.job); why != "" {
			t.Errorf("%s: why %q", c.name, why)
		}
	}
}
