package cpu

import (
	"context"
	"testing"

	"github.com/aichain/aichain/workload"
)

// gptPrompts are prompts of several lengths, padded with −1, one invalid.
func gptPrompts(rows, cols int, vocab int32) *workload.TokenMatrix {
	m := &workload.TokenMatrix{Rows: rows, Cols: cols, Data: make([]int32, rows*cols)}
	for r := 0; r < rows; r++ {
		n := 1 + (r*5)%cols
		for c := 0; c < cols; c++ {
			m.Data[r*cols+c] = workload.PromptPad
			if c < n {
				m.Data[r*cols+c] = int32(workload.SplitMixAt(uint64(r), uint64(c)) % uint64(vocab))
			}
		}
	}
	m.Data[3*cols+1] = vocab // row 3 is invalid
	return m
}

// TestGPTMatchesReference: the CPU backend's gpt-f32 kernels (every core,
// any worker count) give the bits of the recomputing reference, for two
// model shapes, whole jobs and single chunks.
func TestGPTMatchesReference(t *testing.T) {
	for _, cfg := range []workload.GPTConfig{
		{Layers: 2, Heads: 4, Embed: 32, Vocab: 256, Context: 40},
		{Layers: 1, Heads: 3, Embed: 45, Vocab: 97, Context: 24},
	} {
		m, err := workload.RandomGPT(cfg, 11)
		if err != nil {
			t.Fatal(err)
		}
		p := gptPrompts(9, 8, int32(cfg.Vocab))
		const maxNew = 7
		want := workload.ReferenceGPTRows(m, p, maxNew)
		for _, workers := range []int{1, 2, 3, 7} {
			j, err := workload.NewGPTJob(m, p, maxNew, 4)
			if err != nil {
				t.Fatal(err)
			}
			b := &Backend{Workers: workers}
			got, err := j.ComputeRows(context.Background(), b, 0, p.Rows)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "gpt whole job", got, want)
			chunk, err := workload.ComputeChunk(context.Background(), j, b, 1)
			if err != nil {
				t.Fatal(err)
			}
			if string(chunk) != string(workload.EncodeFloats(want[4*j.Cols():8*j.Cols()])) {
				t.Fatalf("%d workers: chunk 1 differs from the reference", workers)
			}
		}
	}
}
