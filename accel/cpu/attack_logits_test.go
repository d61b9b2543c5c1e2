package cpu

import (
	"context"
	"runtime"
	"testing"

	"github.com/aichain/aichain/workload"
)

// TestAttackWideVocabStepCopiesItsLogits: a requester lists a gpt-f32 model
// of embed 1 and the widest vocabulary a chunk holds, so that each decode
// step's cost is its logits row, which the chain charges at
// workload.GPTVocabMulAdds a value. The decoder made that row twice a step
// (the LM head's output, then a zeroed copy of it for Download) and passed
// over it six times in all: with the LM head's overhead per output at
// embed 1, 1.2–2.1× a gemm's time per charged multiply-add
// (BenchmarkGPTWorkPerChargedUnit/wide-vocab), so a provider was paid for
// as little as half its time and each verifier spent up to twice its
// budget. Now the CPU backend's logits are read where the LM head wrote
// them: a step allocates one logits row, not two. Allocated bytes are
// counted (runtime.MemStats), so the test does not depend on the machine's
// speed; the benchmark measures the time.
func TestAttackWideVocabStepCopiesItsLogits(t *testing.T) {
	const vocab, maxNew = 1 << 16, 15
	cfg := workload.GPTConfig{Layers: 1, Heads: 1, Embed: 1, Vocab: vocab, Context: 1 + maxNew}
	m, err := workload.RandomGPT(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	p := gptWorkCase{cfg: cfg, lens: []int{1}, width: 1}.prompts()
	k := New().GPTKernels()
	ctx := context.Background()
	if _, err := workload.DecodeGPT(ctx, k, m, p, 0, 1, maxNew); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := workload.DecodeGPT(ctx, k, m, p, 0, 1, maxNew); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	row := uint64(4 * vocab)
	rows := float64(after.TotalAlloc-before.TotalAlloc) / float64(row)
	// The prefill's row and one per step, the output row, and a row's worth
	// for everything else (the model is 2·vocab + 40 values).
	if limit := float64(1 + maxNew + 1 + 1); rows > limit {
		t.Fatalf("a decode of %d steps allocated %.1f logits rows of %d values, want at most %.0f: every step copies its logits", maxNew, rows, vocab, limit)
	}
	t.Logf("a decode of %d steps allocated %.1f logits rows", maxNew, rows)
}
