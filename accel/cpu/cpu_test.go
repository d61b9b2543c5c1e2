package cpu

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/aichain/aichain/testutil/vectors"
	"github.com/aichain/aichain/workload"
)

// randomOperands fills a Dense call's operands from a seeded stream, with a
// sprinkling of zeros, negative zeros and large values, so that rounding,
// signed zeros, overflow and NaN all occur.
func randomOperands(seed uint64, rows, in, out int, withBias bool) (x, w, bias []float32) {
	g := workload.SplitMix64{State: seed}
	val := func() float32 {
		r := g.Next()
		switch r % 61 {
		case 0:
			return 0
		case 1:
			return float32(math.Copysign(0, -1))
		case 2:
			return 3e37
		case 3:
			return -3e37
		}
		return workload.UnitFloat(r) * float32(1+r%7)
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
	return
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d = %#08x, reference %#08x", what, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
		}
	}
}

func TestDenseMatchesReference(t *testing.T) {
	shapes := [][3]int{
		{1, 1, 1}, {1, 7, 1}, {2, 3, 4}, {3, 5, 7}, {5, 1, 9}, {31, 17, 63}, {33, 65, 65},
		{64, 64, 64}, {65, 513, 3}, {7, 1100, 130}, {129, 40, 1}, {1, 2000, 5},
		// Narrow rows (one column at a time) on either side of narrowRow,
		// tiles widened past colTile columns, and a last k tile that is
		// narrow after wide ones.
		{1, 1, 40000}, {1, 16, 4100}, {1, 17, 4100}, {3, 5, 5000}, {33, 100, 2100},
		{3, 520, 70}, {1, 1030, 9},
	}
	ctx := context.Background()
	nanSeen := false
	for si, s := range shapes {
		for _, withBias := range []bool{false, true} {
			for _, relu := range []bool{false, true} {
				x, w, bias := randomOperands(uint64(si*4+1), s[0], s[1], s[2], withBias)
				want, err := workload.Reference{}.Dense(ctx, x, s[0], s[1], w, bias, s[2], relu)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range want {
					nanSeen = nanSeen || v != v
				}
				for _, b := range []*Backend{New(), {Workers: 1}, {Workers: 3}} {
					got, err := b.Dense(ctx, x, s[0], s[1], w, bias, s[2], relu)
					if err != nil {
						t.Fatal(err)
					}
					sameBits(t, "dense", got, want)
				}
			}
		}
	}
	if !nanSeen {
		t.Fatal("operands never produced a NaN; the canonical-NaN path is untested")
	}
}

func TestDenseRuleEdgeCases(t *testing.T) {
	ctx := context.Background()
	b := New()
	a := float32(1 + 1.0/4096)
	p := float32(1 + 1.0/2048)
	// No FMA: the unfused sum is exactly 0 (see workload.TestDenseNoFMA).
	y, err := b.Dense(ctx, []float32{-1, a}, 1, 2, []float32{p, a}, nil, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "no fma", y, []float32{0})
	// Index order: 1 + 1e8 - 1e8 = 0 in float32.
	y, _ = b.Dense(ctx, []float32{1, 1e8, -1e8}, 1, 3, []float32{1, 1, 1}, nil, 1, false)
	sameBits(t, "order", y, []float32{0})
	// k-tiling carries partial sums in order: the same cancellation across
	// a tile boundary (kTile = 512).
	x := make([]float32, 1200)
	w := make([]float32, 1200)
	for i := range w {
		w[i] = 1
	}
	x[kTile-1], x[kTile], x[kTile+1] = 1, 1e8, -1e8
	y, _ = b.Dense(ctx, x, 1, 1200, w, nil, 1, false)
	sameBits(t, "order across k tiles", y, []float32{0})
	negZero := float32(math.Copysign(0, -1))
	y, _ = b.Dense(ctx, []float32{negZero, -2}, 2, 1, []float32{1}, nil, 1, true)
	sameBits(t, "signed zero and relu", y, []float32{0, 0})
	inf := float32(math.Inf(1))
	y, _ = b.Dense(ctx, []float32{inf, inf}, 1, 2, []float32{1, -1}, nil, 1, false)
	sameBits(t, "canonical NaN", y, []float32{math.Float32frombits(workload.CanonicalNaN)})
}

func TestDenseErrors(t *testing.T) {
	b := New()
	if _, err := b.Dense(context.Background(), make([]float32, 5), 2, 3, make([]float32, 12), nil, 4, false); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("bad shape: %v", err)
	}
	if _, err := b.Dense(context.Background(), make([]float32, 6), 2, 3, make([]float32, 12), make([]float32, 2), 4, false); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("bad bias: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Dense(ctx, make([]float32, 6), 2, 3, make([]float32, 12), nil, 4, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if b.Name() != "cpu" {
		t.Fatal(b.Name())
	}
}

func TestGemmVectors(t *testing.T) {
	vf, err := vectors.LoadVectors("../../workload/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vf.Vectors {
		if err := v.Check(context.Background(), New(), "../../workload/testdata"); err != nil {
			t.Error(err)
		}
	}
}
