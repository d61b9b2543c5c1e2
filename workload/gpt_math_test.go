package workload

import (
	"math"
	"testing"
)

// ulps is the distance in units in the last place between two finite
// float32 of the same sign.
func ulps(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

// TestExp32Accuracy: within 2 ulps of the correctly rounded e^x over the
// computed range, where the result is a normal float32.
func TestExp32Accuracy(t *testing.T) {
	worst := int64(0)
	for x := float32(-87); x <= 88; x += 0.0137 {
		want := float32(math.Exp(float64(x)))
		got := Exp32(x)
		if u := ulps(got, want); u > worst {
			worst = u
		}
	}
	if worst > 2 {
		t.Fatalf("Exp32 is off by up to %d ulps", worst)
	}
	t.Logf("Exp32: at most %d ulps from e^x", worst)
}

func TestExp32Edges(t *testing.T) {
	cases := []struct{ x, want float32 }{
		{0, 1}, {float32(math.Copysign(0, -1)), 1}, {88.5, float32(math.Inf(1))}, {float32(math.Inf(1)), float32(math.Inf(1))},
		{-87.5, 0}, {float32(math.Inf(-1)), 0}, {1, 2.7182817},
	}
	for _, c := range cases {
		if got := Exp32(c.x); math.Float32bits(got) != math.Float32bits(c.want) {
			t.Errorf("Exp32(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := math.Float32bits(Exp32(float32(math.NaN()))); got != CanonicalNaN {
		t.Errorf("Exp32(NaN) = %#x", got)
	}
	if v := Exp32(88); math.IsInf(float64(v), 0) || v < 1.6e38 {
		t.Errorf("Exp32(88) = %v", v)
	}
}

func TestTanhAndGELU(t *testing.T) {
	for x := float32(-12); x <= 12; x += 0.00731 {
		if d := math.Abs(float64(Tanh32(x)) - math.Tanh(float64(x))); d > 3e-7 {
			t.Fatalf("Tanh32(%v) = %v, tanh %v", x, Tanh32(x), math.Tanh(float64(x)))
		}
		if Tanh32(-x) != -Tanh32(x) {
			t.Fatalf("Tanh32 is not odd at %v", x)
		}
		xf := float64(x)
		g := 0.5 * xf * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(xf+0.044715*xf*xf*xf)))
		if d := math.Abs(float64(GELU32(x)) - g); d > 1e-6*math.Max(1, math.Abs(g)) {
			t.Fatalf("GELU32(%v) = %v, want %v", x, GELU32(x), g)
		}
	}
	if Tanh32(9) != 1 || Tanh32(-100) != -1 || math.Float32bits(Tanh32(float32(math.NaN()))) != CanonicalNaN {
		t.Fatal("Tanh32 saturation or NaN")
	}
	if math.Float32bits(Tanh32(0)) != 0 || math.Float32bits(GELU32(0)) != 0 {
		t.Fatal("Tanh32(0) or GELU32(0) is not +0")
	}
}

func TestLayerNormAndAttention(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	y := make([]float32, 4)
	LayerNorm32(x, []float32{1, 1, 1, 1}, []float32{0, 0, 0, 0}, y)
	for i, want := range []float64{-1.3416355, -0.44721183, 0.44721183, 1.3416355} {
		if math.Abs(float64(y[i])-want) > 1e-6 {
			t.Fatalf("LayerNorm32: %v", y)
		}
	}
	if AttentionScale(64) != 0.125 || AttentionScale(4) != 0.5 {
		t.Fatal("AttentionScale")
	}
	// Two positions with equal scores average the values exactly.
	q := []float32{1, 0}
	keys := []float32{0, 1, 0, 1}
	vals := []float32{2, 4, 6, 8}
	out := make([]float32, 2)
	AttendHead(q, keys, vals, 2, 2, 1, make([]float32, 2), out)
	if out[0] != 4 || out[1] != 6 {
		t.Fatalf("AttendHead = %v", out)
	}
	if Argmax([]float32{1, 3, 3, 2}) != 1 || Argmax([]float32{float32(math.NaN()), 5}) != 0 || Argmax([]float32{0, float32(math.Copysign(0, -1))}) != 0 {
		t.Fatal("Argmax ties or NaN")
	}
}
