package workload

import (
	"context"
	"errors"
	"math"
	"testing"
)

func bits(f float32) uint32 { return math.Float32bits(f) }

func TestSplitMix64Reference(t *testing.T) {
	want := []uint64{0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F}
	g := SplitMix64{}
	for i, w := range want {
		if got := g.Next(); got != w {
			t.Fatalf("output %d = %#x, want %#x", i, got, w)
		}
		if got := SplitMixAt(0, uint64(i)); got != w {
			t.Fatalf("SplitMixAt(0, %d) = %#x, want %#x", i, got, w)
		}
	}
	// O(1) jumping agrees with stepping for an arbitrary seed.
	g = SplitMix64{State: 0x0123456789ABCDEF}
	for j := uint64(0); j < 1000; j++ {
		if got, want := SplitMixAt(0x0123456789ABCDEF, j), g.Next(); got != want {
			t.Fatalf("SplitMixAt(seed, %d) = %#x, want %#x", j, got, want)
		}
	}
}

func TestUnitFloat(t *testing.T) {
	// 0xE220A8397B1DCDAF >> 40 = 0xE220A8 = 14819496; minus 2^23 = 6430888.
	if got, want := UnitFloat(0xE220A8397B1DCDAF), float32(6430888)/(1<<23); got != want {
		t.Fatalf("UnitFloat = %v, want %v", got, want)
	}
	if got := UnitFloat(0); got != -1 {
		t.Fatalf("UnitFloat(0) = %v, want -1", got)
	}
	if got, want := UnitFloat(math.MaxUint64), float32(1)-1.0/(1<<23); got != want {
		t.Fatalf("UnitFloat(max) = %v, want %v", got, want)
	}
	if got := UnitFloat(1 << 63); bits(got) != 0 {
		t.Fatalf("UnitFloat(2^63) = %v (bits %#x), want +0", got, bits(got))
	}
}

func dense(t *testing.T, x []float32, rows, in int, w, bias []float32, out int, relu bool) []float32 {
	t.Helper()
	y, err := Reference{}.Dense(context.Background(), x, rows, in, w, bias, out, relu)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func expectBits(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range got {
		if bits(got[i]) != bits(want[i]) {
			t.Fatalf("value %d = %v (%#08x), want %v (%#08x)", i, got[i], bits(got[i]), want[i], bits(want[i]))
		}
	}
}

func TestDenseHandChecked(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	w := []float32{5, 6, 7, 8} // out×in: w[0]=(5,6), w[1]=(7,8)
	expectBits(t, dense(t, x, 2, 2, w, nil, 2, false), []float32{17, 23, 39, 53})
	expectBits(t, dense(t, x, 2, 2, w, []float32{1, -100}, 2, true), []float32{18, 0, 40, 0})
	expectBits(t, dense(t, x, 2, 2, w, []float32{1, -100}, 2, false), []float32{18, -77, 40, -47})
	// GEMM through Transpose: A (2×3) · B (3×2).
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{7, 8, 9, 10, 11, 12}
	c, err := Gemm(context.Background(), Reference{}, a, 2, 3, b, 2)
	if err != nil {
		t.Fatal(err)
	}
	expectBits(t, c, []float32{58, 64, 139, 154})
}

func TestDenseSumOrder(t *testing.T) {
	// In index order 1 + 1e8 rounds to 1e8, then - 1e8 gives 0; any other
	// order gives 1.
	expectBits(t, dense(t, []float32{1, 1e8, -1e8}, 1, 3, []float32{1, 1, 1}, nil, 1, false), []float32{0})
}

func TestDenseNoFMA(t *testing.T) {
	// a·a = 1 + 2^-11 + 2^-24 rounds (tie to even) to 1 + 2^-11, so the
	// unfused sum -(1+2^-11) + round(a·a) is exactly 0; a fused
	// multiply-add would keep the 2^-24.
	a := float32(1 + 1.0/4096)
	p := float32(1 + 1.0/2048)
	expectBits(t, dense(t, []float32{-1, a}, 1, 2, []float32{p, a}, nil, 1, false), []float32{0})
}

func TestDenseSignedZeroAndReLU(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	// The sum starts at +0: +0 + (-0) = +0.
	expectBits(t, dense(t, []float32{negZero}, 1, 1, []float32{1}, nil, 1, false), []float32{0})
	expectBits(t, dense(t, []float32{-1}, 1, 1, []float32{0}, nil, 1, false), []float32{0})
	// Bias -0 after a +0 sum stays +0.
	expectBits(t, dense(t, []float32{0}, 1, 1, []float32{1}, []float32{negZero}, 1, false), []float32{0})
	// ReLU maps negatives and -0 to +0 and keeps positives.
	if got := Finish(negZero, nil, 0, true); bits(got) != 0 {
		t.Fatalf("ReLU(-0) bits %#x, want +0", bits(got))
	}
	if got := Finish(-3, nil, 0, true); bits(got) != 0 {
		t.Fatalf("ReLU(-3) bits %#x, want +0", bits(got))
	}
	if got := Finish(2.5, nil, 0, true); got != 2.5 {
		t.Fatalf("ReLU(2.5) = %v", got)
	}
	if got := Finish(negZero, nil, 0, false); bits(got) != 0x80000000 {
		t.Fatalf("Finish(-0) without relu changed the sign: %#x", bits(got))
	}
}

func TestDenseNaNCanonical(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := math.Float32frombits(CanonicalNaN)
	// Inf - Inf and Inf·0 give NaN; x86 would produce 0xFFC00000.
	expectBits(t, dense(t, []float32{inf, inf}, 1, 2, []float32{1, -1}, nil, 1, false), []float32{nan})
	expectBits(t, dense(t, []float32{inf}, 1, 1, []float32{0}, nil, 1, false), []float32{nan})
	// ReLU(NaN) = +0.
	expectBits(t, dense(t, []float32{inf}, 1, 1, []float32{0}, nil, 1, true), []float32{0})
	// Overflow to Inf stays Inf.
	expectBits(t, dense(t, []float32{3e38, 3e38}, 1, 2, []float32{1, 1}, nil, 1, false), []float32{inf})
}

func TestValidateDense(t *testing.T) {
	x := make([]float32, 6)
	w := make([]float32, 12)
	cases := []struct {
		name           string
		x, w, b        []float32
		rows, in, outs int
	}{
		{"zero rows", x, w, nil, 0, 3, 4},
		{"negative in", x, w, nil, 2, -3, 4},
		{"zero out", x, w, nil, 2, 3, 0},
		{"short x", x[:5], w, nil, 2, 3, 4},
		{"long w", x, append(w, 0), nil, 2, 3, 4},
		{"bias length", x, w, make([]float32, 3), 2, 3, 4},
		{"empty bias is not nil", x, w, []float32{}, 2, 3, 4},
		{"overflow", x, w, nil, 1 << 40, 1 << 40, 4},
	}
	for _, c := range cases {
		if err := ValidateDense(c.x, c.rows, c.in, c.w, c.b, c.outs); !errors.Is(err, ErrShape) {
			t.Errorf("%s: err = %v, want ErrShape", c.name, err)
		}
		if _, err := (Reference{}).Dense(context.Background(), c.x, c.rows, c.in, c.w, c.b, c.outs, false); !errors.Is(err, ErrShape) {
			t.Errorf("%s: Dense err = %v, want ErrShape", c.name, err)
		}
	}
	if err := ValidateDense(x, 2, 3, w, make([]float32, 4), 4); err != nil {
		t.Fatalf("valid call refused: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Reference{}).Dense(ctx, x, 2, 3, w, nil, 4, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Dense err = %v", err)
	}
}

func TestChunking(t *testing.T) {
	for _, c := range []struct{ rows, cr, n int }{{1, 1, 1}, {8, 8, 1}, {9, 8, 2}, {64, 8, 8}, {37, 5, 8}, {3, 10, 1}} {
		n, err := ChunkCount(c.rows, c.cr)
		if err != nil || n != c.n {
			t.Fatalf("ChunkCount(%d, %d) = %d, %v; want %d", c.rows, c.cr, n, err, c.n)
		}
		covered := 0
		for i := 0; i < n; i++ {
			r0, r1, err := ChunkRange(c.rows, c.cr, i)
			if err != nil || r0 != covered || r1 <= r0 || r1-r0 > c.cr {
				t.Fatalf("ChunkRange(%d, %d, %d) = [%d, %d), %v", c.rows, c.cr, i, r0, r1, err)
			}
			covered = r1
		}
		if covered != c.rows {
			t.Fatalf("chunks cover %d of %d rows", covered, c.rows)
		}
		if _, _, err := ChunkRange(c.rows, c.cr, n); !errors.Is(err, ErrChunkIndex) {
			t.Fatalf("ChunkRange past the end: %v", err)
		}
		if _, _, err := ChunkRange(c.rows, c.cr, -1); !errors.Is(err, ErrChunkIndex) {
			t.Fatalf("ChunkRange(-1): %v", err)
		}
	}
	if _, err := ChunkCount(0, 4); !errors.Is(err, ErrInvalidParams) {
		t.Fatal("ChunkCount(0, 4) accepted")
	}
	if _, err := ChunkCount(4, 0); !errors.Is(err, ErrInvalidParams) {
		t.Fatal("ChunkCount(4, 0) accepted")
	}
	v := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	chunks, err := SplitChunks(v, 5, 2, 2)
	if err != nil || len(chunks) != 3 {
		t.Fatalf("SplitChunks: %d chunks, %v", len(chunks), err)
	}
	want := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40}
	if string(chunks[0]) != string(want) {
		t.Fatalf("chunk 0 = %x, want %x", chunks[0], want)
	}
	if len(chunks[2]) != 8 {
		t.Fatalf("last chunk has %d bytes, want 8", len(chunks[2]))
	}
	back, rows, err := DecodeChunkRows(chunks[1], 2)
	if err != nil || rows != 2 {
		t.Fatalf("DecodeChunkRows: %d rows, %v", rows, err)
	}
	expectBits(t, back, v[4:8])
	if _, _, err := DecodeChunkRows(chunks[1][:7], 2); !errors.Is(err, ErrShape) {
		t.Fatalf("DecodeChunkRows of 7 bytes: %v", err)
	}
	if _, _, err := DecodeChunkRows(chunks[1][:4], 2); !errors.Is(err, ErrShape) {
		t.Fatalf("DecodeChunkRows of half a row: %v", err)
	}
	if _, err := SplitChunks(v, 4, 2, 2); !errors.Is(err, ErrShape) {
		t.Fatalf("SplitChunks with wrong shape: %v", err)
	}
}
