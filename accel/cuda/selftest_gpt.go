package cuda

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
)

// selfTestGPT is the gpt-f32 job of the self-test: a small random model
// (heads of 8, two layers) over prompts of several lengths, one invalid.
var selfTestGPT = workload.GPTConfig{Layers: 2, Heads: 3, Embed: 24, Vocab: 67, Context: 20}

// gptSelfTest compares every gpt-f32 kernel of b with the CPU backend's on
// operands with zeros, signed zeros, large values and NaN-producing
// overflows, then the output root of a small gpt-f32 job. Values must have
// the same bits, NaN matching any NaN: a NaN's payload never reaches an
// output, since every stored value is canonicalised (docs/gpt-f32.md).
func gptSelfTest(ctx context.Context, b workload.GPTBackend) error {
	dev, ref := b.GPTKernels(), cpu.New().GPTKernels()
	type check struct {
		name string
		run  func(k workload.GPTKernels) ([]float32, error)
	}
	for _, c := range []check{
		{"layernorm 3×37", func(k workload.GPTKernels) ([]float32, error) { return runLayerNorm(k, 3, 37, 1) }},
		{"layernorm 2×768", func(k workload.GPTKernels) ([]float32, error) { return runLayerNorm(k, 2, 768, 2) }},
		{"gelu", func(k workload.GPTKernels) ([]float32, error) { return runElementwise(k, true, 1000, 3) }},
		{"add", func(k workload.GPTKernels) ([]float32, error) { return runElementwise(k, false, 777, 4) }},
		{"kv+attention 3×5", func(k workload.GPTKernels) ([]float32, error) { return runAttention(k, 3, 5, 5) }},
		{"kv+attention 2×64", func(k workload.GPTKernels) ([]float32, error) { return runAttention(k, 2, 64, 6) }},
	} {
		want, err := c.run(ref)
		if err != nil {
			return err
		}
		got, err := c.run(dev)
		if err != nil {
			return fmt.Errorf("cuda: self-test %s: %w", c.name, err)
		}
		if err := sameOrNaN(c.name, got, want); err != nil {
			return err
		}
	}
	return gptRootSelfTest(ctx, b)
}

func sameOrNaN(name string, got, want []float32) error {
	if len(got) != len(want) {
		return fmt.Errorf("%w: %s: %d values, CPU %d", ErrSelfTestMismatch, name, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
			return fmt.Errorf("%w: %s: value %d is %#08x, CPU %#08x", ErrSelfTestMismatch, name, i, math.Float32bits(g), math.Float32bits(w))
		}
	}
	return nil
}

// gptRootSelfTest compares the output root of a small gpt-f32 job.
func gptRootSelfTest(ctx context.Context, b workload.GPTBackend) error {
	m, err := workload.RandomGPT(selfTestGPT, 2026)
	if err != nil {
		return err
	}
	p := &workload.TokenMatrix{Rows: 4, Cols: 6, Data: []int32{
		1, 2, 3, 4, 5, 6,
		66, -1, -1, -1, -1, -1,
		9, 70, -1, -1, -1, -1, // 70 ≥ vocab: invalid
		0, 0, 0, 65, -1, -1,
	}}
	j, err := workload.NewGPTJob(m, p, 5, 3)
	if err != nil {
		return err
	}
	want, _, err := workload.OutputRoot(ctx, j, cpu.New())
	if err != nil {
		return err
	}
	got, _, err := workload.OutputRoot(ctx, j, b)
	if err != nil {
		return fmt.Errorf("cuda: self-test gpt: %w", err)
	}
	if got != want {
		return fmt.Errorf("%w: gpt %+v root %s, CPU %s", ErrSelfTestMismatch, selfTestGPT, hex.EncodeToString(got[:]), hex.EncodeToString(want[:]))
	}
	return nil
}

// selfTestValues returns n operand values: mostly in [−7.5, 7.5), with
// zeros, negative zeros and values large enough to overflow.
func selfTestValues(seed uint64, n int) []float32 {
	x, _, _ := selfTestOperands(seed, 1, n, 1, false)
	for i := range x {
		if x[i] < 1e30 {
			x[i] *= 1.5
		}
	}
	return x
}

// moderate replaces the values that overflow by values around 20, so that
// attention scores stay finite and the softmax is exercised, not its NaNs.
func moderate(x []float32) []float32 {
	for i, v := range x {
		if v > 1e30 {
			x[i] = v * 1e-37
		}
	}
	return x
}

// download fetches a whole buffer and frees it.
func download(k workload.GPTKernels, b workload.GPTBuffer) ([]float32, error) {
	defer k.Free(b)
	out := make([]float32, b.Len())
	return out, k.Download(b, 0, out)
}

func uploadAll(k workload.GPTKernels, vs ...[]float32) ([]workload.GPTBuffer, error) {
	var out []workload.GPTBuffer
	for _, v := range vs {
		b, err := k.Upload(v)
		if err != nil {
			k.Free(out...)
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func runLayerNorm(k workload.GPTKernels, rows, n int, seed uint64) ([]float32, error) {
	bufs, err := uploadAll(k, selfTestValues(seed, rows*n), selfTestValues(seed+1, n), selfTestValues(seed+2, n))
	if err != nil {
		return nil, err
	}
	defer k.Free(bufs...)
	y, err := k.LayerNorm(bufs[0], rows, n, bufs[1], bufs[2])
	if err != nil {
		return nil, err
	}
	return download(k, y)
}

// runElementwise runs GELU (or Add) over n values spanning [−12, 12) and the
// operand values' specials.
func runElementwise(k workload.GPTKernels, gelu bool, n int, seed uint64) ([]float32, error) {
	x := selfTestValues(seed, n)
	for i := 0; i < n; i += 3 {
		x[i] = float32(i%2400)/100 - 12
	}
	bufs, err := uploadAll(k, x, selfTestValues(seed+1, n))
	if err != nil {
		return nil, err
	}
	defer k.Free(bufs[1])
	if gelu {
		err = k.GELU(bufs[0], n)
	} else {
		err = k.Add(bufs[0], bufs[1], n)
	}
	if err != nil {
		k.Free(bufs[0])
		return nil, err
	}
	return download(k, bufs[0])
}

// runAttention stores the keys and values of 5 rows into caches already
// holding other values, then attends: rows of three sequences in slots of
// 7 cache rows, spans of 1 to 7 positions. It returns the caches and the
// attention output.
func runAttention(k workload.GPTKernels, heads, headDim int, seed uint64) ([]float32, error) {
	e := heads * headDim
	spans := []int32{0, 1, 0, 2, 7, 7, 14, 3, 14, 4}
	rows := len(spans) / 2
	bufs, err := uploadAll(k, moderate(selfTestValues(seed, rows*3*e)), moderate(selfTestValues(seed+1, 21*e)), moderate(selfTestValues(seed+2, 21*e)))
	if err != nil {
		return nil, err
	}
	defer k.Free(bufs...)
	sp, err := k.UploadInts(spans)
	if err != nil {
		return nil, err
	}
	defer k.Free(sp)
	if err := k.StoreKV(bufs[0], rows, e, sp, bufs[1], bufs[2]); err != nil {
		return nil, err
	}
	a, err := k.Attention(bufs[0], rows, heads, headDim, sp, bufs[1], bufs[2])
	if err != nil {
		return nil, err
	}
	out, err := download(k, a)
	if err != nil {
		return nil, err
	}
	for _, c := range bufs[1:] {
		v := make([]float32, c.Len())
		if err := k.Download(c, 0, v); err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return out, nil
}
