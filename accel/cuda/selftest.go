package cuda

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
)

// selfTestShapes are the Dense known-answer cases: awkward sizes around the
// kernel's 64×64×16 tiles, with and without bias and ReLU.
var selfTestShapes = []struct {
	rows, in, out int
	bias, relu    bool
}{
	{1, 1, 1, false, false},
	{1, 1, 1, true, true},
	{3, 5, 7, true, false},
	{17, 16, 15, false, true},
	{63, 33, 65, true, true},
	{65, 100, 129, false, false},
	{130, 257, 70, true, true},
	{8, 1025, 3, false, false},
}

// selfTestGemm is a small gemm-f32 test vector (workload/testdata).
var selfTestGemm = workload.GemmParams{M: 37, N: 29, K: 41, Seed: 42, ChunkRows: 5}

// SelfTest compares b with the CPU backend, bit for bit, on the Dense
// known-answer shapes (operands include zeros, negative zeros and values
// large enough to overflow) and on the output root of a small gemm-f32 job;
// and, when b has gpt-f32 kernels, on every one of them and on the output
// root of a small gpt-f32 job (gptSelfTest). Any difference is an error
// wrapping ErrSelfTestMismatch.
func SelfTest(ctx context.Context, b workload.Backend) error {
	if err := denseSelfTest(ctx, b); err != nil {
		return err
	}
	if g, ok := b.(workload.GPTBackend); ok {
		return gptSelfTest(ctx, g)
	}
	return nil
}

func denseSelfTest(ctx context.Context, b workload.Backend) error {
	ref := cpu.New()
	for i, s := range selfTestShapes {
		x, w, bias := selfTestOperands(uint64(1000+i), s.rows, s.in, s.out, s.bias)
		want, err := ref.Dense(ctx, x, s.rows, s.in, w, bias, s.out, s.relu)
		if err != nil {
			return err
		}
		got, err := b.Dense(ctx, x, s.rows, s.in, w, bias, s.out, s.relu)
		if err != nil {
			return fmt.Errorf("cuda: self-test shape %d×%d→%d: %w", s.rows, s.in, s.out, err)
		}
		if len(got) != len(want) {
			return fmt.Errorf("%w: shape %d×%d→%d: %d values, want %d", ErrSelfTestMismatch, s.rows, s.in, s.out, len(got), len(want))
		}
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				return fmt.Errorf("%w: shape %d×%d→%d bias=%v relu=%v: value %d is %#08x, CPU %#08x",
					ErrSelfTestMismatch, s.rows, s.in, s.out, s.bias, s.relu, j, math.Float32bits(got[j]), math.Float32bits(want[j]))
			}
		}
	}
	j, err := workload.NewGemmJob(selfTestGemm)
	if err != nil {
		return err
	}
	want, _, err := workload.OutputRoot(ctx, j, ref)
	if err != nil {
		return err
	}
	got, _, err := workload.OutputRoot(ctx, j, b)
	if err != nil {
		return fmt.Errorf("cuda: self-test gemm: %w", err)
	}
	if got != want {
		return fmt.Errorf("%w: gemm %+v root %s, CPU %s", ErrSelfTestMismatch, selfTestGemm, hex.EncodeToString(got[:]), hex.EncodeToString(want[:]))
	}
	return nil
}

func selfTestOperands(seed uint64, rows, in, out int, withBias bool) (x, w, bias []float32) {
	g := workload.SplitMix64{State: seed}
	val := func() float32 {
		r := g.Next()
		switch r % 37 {
		case 0:
			return 0
		case 1:
			return float32(math.Copysign(0, -1))
		case 2:
			return 2e38
		}
		return workload.UnitFloat(r) * float32(1+r%5)
	}
	x = make([]float32, rows*in)
	for i := range x {
		x[i] = val()
	}
	w = make([]float32, out*in)
	for i := range w {
		w[i] = val()
	}
	if withBias {
		bias = make([]float32, out)
		for i := range bias {
			bias[i] = val()
		}
	}
	return x, w, bias
}
