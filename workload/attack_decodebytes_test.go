package workload

import (
	"context"
	"testing"
)

// sizeKernels are GPTKernels that hold no values: each buffer is its length
// only. They count the values DecodeGPT keeps in live kernel buffers (made by
// Upload, Alloc or an operation, released by Free), which is what a device
// holds and a lower bound on what host kernels hold (their Free leaves the
// buffer to the garbage collector).
type sizeKernels struct {
	live, peak int
}

type sizeBuf struct {
	n    int
	ints []int32
	dead bool
}

func (b *sizeBuf) Len() int { return b.n }

func (k *sizeKernels) add(n int) *sizeBuf {
	k.live += n
	k.peak = max(k.peak, k.live)
	return &sizeBuf{n: n}
}

func (k *sizeKernels) Name() string                                   { return "size" }
func (k *sizeKernels) Upload(v []float32) (GPTBuffer, error)          { return k.add(len(v)), nil }
func (k *sizeKernels) Alloc(n int) (GPTBuffer, error)                 { return k.add(n), nil }
func (k *sizeKernels) Download(_ GPTBuffer, _ int, _ []float32) error { return nil }
func (k *sizeKernels) UploadInts(v []int32) (GPTBuffer, error) {
	b := k.add(len(v))
	b.ints = v
	return b, nil
}

func (k *sizeKernels) Free(bufs ...GPTBuffer) {
	for _, g := range bufs {
		if b, ok := g.(*sizeBuf); ok && b != nil && !b.dead {
			b.dead = true
			k.live -= b.n
		}
	}
}

func (k *sizeKernels) Dense(_ context.Context, _ GPTBuffer, rows, _ int, _, _ GPTBuffer, out int) (GPTBuffer, error) {
	return k.add(rows * out), nil
}

func (k *sizeKernels) LayerNorm(_ GPTBuffer, rows, n int, _, _ GPTBuffer) (GPTBuffer, error) {
	return k.add(rows * n), nil
}

func (k *sizeKernels) GELU(GPTBuffer, int) error                              { return nil }
func (k *sizeKernels) Add(_, _ GPTBuffer, _ int) error                        { return nil }
func (k *sizeKernels) StoreKV(_ GPTBuffer, _, _ int, _, _, _ GPTBuffer) error { return nil }
func (k *sizeKernels) Attention(_ GPTBuffer, rows, heads, headDim int, _, _, _ GPTBuffer) (GPTBuffer, error) {
	return k.add(rows * heads * headDim), nil
}

// TestAttackOneStepDecodeOfAWholeBatchOutgrowsDecodeBytes: a requester
// registers a small gpt-f32 model and lists a prompt dataset, both within
// every bound of the chain, and asks for a job the honest provider sizes
// with GPTConfig.DecodeBytes (jobexec sizeGPT → BidShape.ExecBytes → the
// agent's admitMemory, TestSizeGPTCountsDecodeMemory): the prompts' logits,
// one batch's key/value caches and one prefill pass, 5 × gptPrefillBudget.
// But a pass of the decoder over rows positions holds, at a block's MLP,
// the residual stream, q|k|v (freed when the block returns), the layer
// norm, the 4E-wide activation and its projection: 9 × rows × embed values
// (gptDecoder.block); and
//   - a decode step runs every prompt of a batch at once: 2^20 one-token
//     prompts through a 1-layer model of embed 16 (vocabulary 2, context
//     2), one new token each, are one batch (gptCacheBudget / (2·1·16·2)),
//     so the step's block holds 9 × 2^20 × 16 values (576 MiB) beside the
//     caches, which DecodeBytes does not count at all;
//   - a prefill pass holds one prompt at least, whatever the budget: eight
//     prompts of 4096 tokens through embed 1024 are passes of one prompt,
//     9 × 4096 × 1024 values, where DecodeBytes counts 5 × 4 Mi.
//
// The honest outcome: the decoder never holds more than DecodeBytes besides
// its output and weights (here counted in kernel buffers alone, what a
// device holds; host kernels hold at least as much until collected). Now
// DecodeBytes counts the largest pass as it runs (GPTConfig.passValues):
// 1,048 MiB and 416 MiB against peaks of 840 and 400.
func TestAttackOneStepDecodeOfAWholeBatchOutgrowsDecodeBytes(t *testing.T) {
	for _, c := range []struct {
		name                string
		cfg                 GPTConfig
		rows, width, maxNew int
		chunkRows           int
	}{
		{"decode step of 2^20 prompts", GPTConfig{Layers: 1, Heads: 1, Embed: 16, Vocab: 2, Context: 2}, 1 << 20, 1, 1, (4 << 20) / 12},
		{"prefill of 4096-token prompts", GPTConfig{Layers: 1, Heads: 4, Embed: 1024, Vocab: 2, Context: 4096}, 8, 4096, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			if err := cfg.CheckDecode(c.width, c.maxNew); err != nil {
				t.Fatal(err)
			}
			// The chain's bounds (x/compute/types kind_gpt.go: GPTMaxChunkMulAdds
			// 2^37, GPTMaxJobMulAdds 2^50, gptMaxRows 2^20; Params.AdmitJob:
			// output ≤ MaxDenseElements values, chunks within the default
			// max_chunk_bytes of 4 MiB).
			w := cfg.Work(c.rows, c.width, nil, c.maxNew, c.chunkRows)
			if w.Chunk > 1<<37 || w.Job > 1<<50 || c.rows > 1<<20 || c.rows*(c.maxNew+cfg.Vocab) > MaxDenseElements ||
				c.chunkRows*(c.maxNew+cfg.Vocab)*4 > 4<<20 {
				t.Fatalf("set-up: the chain would refuse the job: %+v", w)
			}
			if b := gptBatch(cfg, c.width, c.maxNew); b < c.rows {
				t.Fatalf("set-up: batch of %d prompts, want all %d in one", b, c.rows)
			}
			m, err := RandomGPT(cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			held, weights := decodePeak(t, m, c.rows, c.width, c.maxNew)
			admitted := cfg.DecodeBytes(c.rows, c.width, c.maxNew)
			t.Logf("peak kernel buffers %d values (%d MiB) beside %d weights; DecodeBytes %d bytes (%d MiB)",
				held/4, held>>20, weights, admitted, admitted>>20)
			if held > admitted {
				t.Errorf("decoding %d prompts holds %d bytes in kernel buffers alone, %.2f× the %d bytes DecodeBytes admits (the provider's ExecBytes)",
					c.rows, held, float64(held)/float64(admitted), admitted)
			}
		})
	}
}

// decodePeak decodes rows prompts of width tokens (token ids cycling
// through the vocabulary) for maxNew new tokens each with m on sizeKernels,
// and returns the most bytes its kernel buffers held beside the weights
// (every tensor but wpe is uploaded), and the weights' values.
func decodePeak(t *testing.T, m *GPTModel, rows, width, maxNew int) (held uint64, weights int) {
	t.Helper()
	cfg := m.Config
	prompts := &TokenMatrix{Rows: rows, Cols: width, Data: make([]int32, rows*width)}
	for i := range prompts.Data {
		prompts.Data[i] = int32(i % cfg.Vocab)
	}
	k := &sizeKernels{}
	if _, err := DecodeGPT(context.Background(), k, m, prompts, 0, rows, maxNew); err != nil {
		t.Fatal(err)
	}
	weights = int(cfg.Params()) - cfg.Context*cfg.Embed
	return uint64(k.peak-weights) * 4, weights
}
