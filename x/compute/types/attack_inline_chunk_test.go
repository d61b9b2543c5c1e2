package types_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackRequesterDisputesTheOneCostlyInlineChunk: GPTConfig.Work knows
// a gpt job's costliest chunk (Work.Chunk, what a verifier spends per
// sampled chunk), but the verification budget (AdmitAssurance,
// AdmitDispute) charges each checked chunk the job's average, mul_adds /
// chunks. A requester lists one long inline prompt (GPT-2 small over its
// whole context) and 63 one-token prompts in chunks of one: the long prompt
// alone is refused (its one chunk is over max_work_per_exec_block ×
// verification_blocks), yet padded with cheap prompts the job and a dispute
// naming the long prompt's chunk were admitted, and every sidecar had to
// recompute a chunk costing twice the whole window's budget — a
// verification that cannot finish ends inconclusive (escrow back, result
// kept). Now a job records max(Work.Job, Work.Chunk × chunks)
// (recordedWork): every chunk's share is at least the costliest chunk's, so
// the padded job is refused as the long prompt alone is, and a dispute
// naming any chunk is within the budget whenever the job is admitted.
func TestAttackRequesterDisputesTheOneCostlyInlineChunk(t *testing.T) {
	gpt2 := common.GPTShape{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}
	cfg := workload.GPTConfig{Layers: 12, Heads: 12, Embed: 768, Vocab: 50257, Context: 1024}
	st := types.KindState{Models: gptModels(gpt2)}
	long := make([]uint32, 1024)
	for i := range long {
		long[i] = uint32(i % 50257)
	}
	p := types.DefaultParams()
	budget := p.MaxWorkPerExecBlock * uint64(p.VerificationBlocks)

	// The long prompt alone: refused, its chunk is over the budget.
	alone := inlineGPT(0, long)
	alone.ChunkRows = 1
	_, terms, err := types.ResolveWorkload(context.Background(), st, alone, "aic1req")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AdmitAssurance(types.Assurance{}, terms.Shape, 1, 1); err == nil {
		t.Fatal("the long prompt alone was admitted; the test assumes the budget refuses it")
	}

	// Padded with 63 one-token prompts.
	prompts := [][]uint32{long}
	for i := 0; i < 63; i++ {
		prompts = append(prompts, []uint32{uint32(i)})
	}
	w := inlineGPT(0, prompts...)
	w.ChunkRows = 1
	_, terms, err = types.ResolveWorkload(context.Background(), st, w, "aic1req")
	if err != nil {
		t.Fatal(err)
	}
	const chunks = 64
	// What a sidecar really recomputes for chunk 0, the long prompt's.
	chunk0 := cfg.Work(1, 1024, nil, 0, 1).Chunk
	t.Logf("job mul_adds %d over %d chunks (share %d); chunk 0 costs %d; budget %d",
		terms.Shape.MulAdds, chunks, terms.Shape.MulAdds/chunks, chunk0, budget)
	if terms.Shape.MulAdds/chunks < chunk0 {
		t.Fatalf("the job records %d multiply-adds, a share of %d per chunk, below its costliest chunk's %d",
			terms.Shape.MulAdds, terms.Shape.MulAdds/chunks, chunk0)
	}
	if _, err := p.AdmitAssurance(types.Assurance{}, terms.Shape, 1, chunks); err == nil {
		if err := p.AdmitDispute(terms.Shape.MulAdds, chunks, uint64(p.SamplesPerJob), 1); err == nil && chunk0 > budget {
			t.Fatalf("admitted a dispute whose named chunk alone is %d multiply-adds, %.1f× the verification budget %d",
				chunk0, float64(chunk0)/float64(budget), budget)
		}
	} else if !errors.Is(err, types.ErrInvalidAssurance) {
		t.Fatalf("padded job refused with %v, want ErrInvalidAssurance", err)
	}
}
