package cuda

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/workload"
)

// TestAttackGPTShapeAtTheDenseBoundFailsOnTheGPU: a requester (or a model
// owner) picks a gpt-f32 shape whose Dense operand is exactly
// workload.MaxDenseElements (2^31) values, which the workload package, and
// so the chain (x/modelregistry ValidateArchitecture → GPTConfig.Validate;
// x/compute Params.AdmitJob, rows × cols ≤ MaxDenseElements), admits and
// the CPU backend runs ("so that index arithmetic never overflows on any
// backend"). The CUDA gpt kernels' Dense refuses any operand over
// math.MaxInt32 = 2^31 − 1 values, one less: a GPU provider that sized and
// won such a job fails it at execution (its collateral forfeited on the
// timeout), and a GPU validator cannot recompute it, while a CPU one can.
//   - a model of embed 2048 and vocabulary 2^20 (its tied LM head is
//     2^20 × 2048 = 2^31 values), every decode's logits;
//   - a tiny model (1 layer, embed 1, vocabulary 2048) over 2^20 one-token
//     prompts with no new tokens: output 2^20 × 2048 = 2^31 values, which
//     the provider computes whole (workload.ComputeChunks): one prefill
//     pass of all 2^20 prompts (prefill budget 4 Mi values / (embed 1 ×
//     width 1)), so one LM-head Dense of 2^20 rows × 2048 outputs.
//
// The honest outcome: a shape the workload's bound admits is not refused
// by the CUDA kernels' launch limits.
func TestAttackGPTShapeAtTheDenseBoundFailsOnTheGPU(t *testing.T) {
	wide := workload.GPTConfig{Layers: 1, Heads: 16, Embed: 2048, Vocab: 1 << 20, Context: 1}
	if err := wide.Validate(); err != nil {
		t.Fatalf("set-up: the chain refuses the wide-vocabulary model: %v", err)
	}
	tiny := workload.GPTConfig{Layers: 1, Heads: 1, Embed: 1, Vocab: 2048, Context: 1}
	m, err := workload.RandomGPT(tiny, 1)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 1 << 20
	prompts := &workload.TokenMatrix{Rows: rows, Cols: 1, Data: make([]int32, rows)}
	if _, err := workload.NewGPTJob(m, prompts, 0, 4096); err != nil {
		t.Fatalf("set-up: the job of %d prompts is refused: %v", rows, err)
	}
	for _, c := range []struct {
		what           string
		rows, in, outs int
	}{
		{"the wide model's LM head of one position", 1, wide.Embed, wide.Vocab},
		{"the tiny model's prefill LM head over every prompt", rows, tiny.Embed, tiny.Vocab},
	} {
		if err := denseLaunchable(c.rows, c.in, c.outs); err != nil {
			t.Errorf("%s (rows %d, in %d, out %d; the chain admits operands of %d values): %v",
				c.what, c.rows, c.in, c.outs, uint64(workload.MaxDenseElements), err)
		}
	}
	// One value past the bound is still refused, with the shape error.
	if err := denseLaunchable(1, wide.Embed+1, wide.Vocab); !errors.Is(err, workload.ErrShape) {
		t.Errorf("an LM head of %d values: %v, want %v", uint64(wide.Embed+1)*uint64(wide.Vocab), err, workload.ErrShape)
	}
}
