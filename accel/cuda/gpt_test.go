package cuda

import (
	"context"
	"errors"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
)

// TestFakeGPTKernelMismatch: a device whose any one gpt-f32 kernel computes
// different bits fails the self-test, and Open leaves nothing allocated.
func TestFakeGPTKernelMismatch(t *testing.T) {
	for _, name := range gptKernelNames {
		f := newFake()
		f.corruptKernel = name
		b, err := openWith(f, densePTX)
		if !errors.Is(err, ErrSelfTestMismatch) || b != nil {
			t.Fatalf("corrupt %s: backend %v, err %v", name, b, err)
		}
		if len(f.contexts) != 0 || len(f.modules) != 0 || len(f.mem) != 0 {
			t.Fatalf("corrupt %s: failed Open left %d contexts, %d modules, %d buffers", name, len(f.contexts), len(f.modules), len(f.mem))
		}
	}
}

// TestFakeGPTDecode: through the fake device, a gpt-f32 job gives the CPU
// backend's bits and frees every device buffer; bad buffers are refused.
func TestFakeGPTDecode(t *testing.T) {
	f := newFake()
	b, err := openWith(f, densePTX)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	checkGPTAgainstCPU(t, b, workload.GPTConfig{Layers: 2, Heads: 4, Embed: 32, Vocab: 300, Context: 32})
	if len(f.mem) != 0 {
		t.Fatalf("decode left %d device buffers", len(f.mem))
	}
	k := b.GPTKernels()
	if _, err := k.LayerNorm(workload.HostBuffer{1, 2}, 1, 2, workload.HostBuffer{1, 1}, workload.HostBuffer{0, 0}); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("host buffer accepted: %v", err)
	}
	x, _ := k.Upload(make([]float32, 12))
	sp, _ := k.UploadInts([]int32{0, 5})
	kc, _ := k.Alloc(12)
	if _, err := k.Attention(x, 1, 1, 4, sp, kc, kc); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("a span past the cache accepted: %v", err)
	}
	k.Free(x, sp, kc)
	if len(f.mem) != 0 {
		t.Fatalf("Free left %d buffers", len(f.mem))
	}
}

// checkGPTAgainstCPU decodes prompts of several lengths with a random model
// of configuration cfg on b and on the CPU backend and compares the bits.
func checkGPTAgainstCPU(t *testing.T, b workload.Backend, cfg workload.GPTConfig) {
	t.Helper()
	m, err := workload.RandomGPT(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	p := &workload.TokenMatrix{Rows: 5, Cols: 9, Data: make([]int32, 45)}
	for r := 0; r < 5; r++ {
		for c := 0; c < 9; c++ {
			p.Data[r*9+c] = workload.PromptPad
			if c <= 2*r {
				p.Data[r*9+c] = int32(workload.SplitMixAt(uint64(r), uint64(c)) % uint64(cfg.Vocab))
			}
		}
	}
	j, err := workload.NewGPTJob(m, p, 6, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want, err := workload.ComputeChunks(ctx, j, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	got, err := workload.ComputeChunks(ctx, j, b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("%+v: chunk %d differs from the CPU backend", cfg, i)
		}
	}
}

// TestDeviceGPTMatchesCPU runs gpt-f32 on a real GPU: a GPT-2-wide model
// (768 wide, 12 heads, GPT-2's vocabulary) gives the CPU backend's bits.
func TestDeviceGPTMatchesCPU(t *testing.T) {
	b := openDevice(t)
	checkGPTAgainstCPU(t, b, workload.GPTConfig{Layers: 2, Heads: 12, Embed: 768, Vocab: 50257, Context: 64})
	checkGPTAgainstCPU(t, b, workload.GPTConfig{Layers: 3, Heads: 5, Embed: 40, Vocab: 256, Context: 48})
}
