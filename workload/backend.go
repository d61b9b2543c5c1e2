package workload

import (
	"context"
	"fmt"
	"math"
)

// Backend executes the single operation every workload is built from: a
// dense layer under the package's arithmetic rule.
//
// Dense computes, for r in [0, rows) and o in [0, out):
//
//	y[r·out+o] = Finish(Σ_{i=0..in-1} x[r·in+i]·w[o·in+i], bias, o, relu)
//
// where the sum runs in index order from +0.0 with every product rounded to
// float32 (no FMA). x is rows×in row-major, w is out×in row-major (one row
// per output, i.e. a GEMM's B transposed), bias is nil (no bias) or of length
// out. The result is rows×out row-major in a new slice. Implementations must
// return an error wrapping ErrShape for inconsistent shapes (use
// ValidateDense) and must honour ctx cancellation at least before starting.
//
// Backends that hold resources (GPU contexts) also implement io.Closer.
type Backend interface {
	Name() string
	Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) ([]float32, error)
}

// MaxDenseElements bounds every operand of a Dense call (rows·in, out·in and
// rows·out elements), so that index arithmetic never overflows on any backend.
const MaxDenseElements = 1 << 31

// CanonicalNaN is the bit pattern every NaN result is stored as.
const CanonicalNaN uint32 = 0x7FC00000

// ValidateDense checks the arguments of a Dense call.
func ValidateDense(x []float32, rows, in int, w []float32, bias []float32, out int) error {
	if rows < 1 || in < 1 || out < 1 {
		return fmt.Errorf("%w: dense dimensions must be positive (rows=%d in=%d out=%d)", ErrShape, rows, in, out)
	}
	for _, p := range [][3]int{{rows, in}, {out, in}, {rows, out}} {
		if p[0] > MaxDenseElements/p[1] {
			return fmt.Errorf("%w: dense operand %d×%d exceeds %d elements", ErrShape, p[0], p[1], MaxDenseElements)
		}
	}
	if len(x) != rows*in {
		return fmt.Errorf("%w: len(x)=%d, want rows·in=%d·%d=%d", ErrShape, len(x), rows, in, rows*in)
	}
	if len(w) != out*in {
		return fmt.Errorf("%w: len(w)=%d, want out·in=%d·%d=%d", ErrShape, len(w), out, in, out*in)
	}
	if bias != nil && len(bias) != out {
		return fmt.Errorf("%w: len(bias)=%d, want out=%d", ErrShape, len(bias), out)
	}
	return nil
}

// Finish applies the tail of the arithmetic rule to a finished dot product s
// for output column o: add bias[o] (if bias is non-nil), apply ReLU (if relu),
// and canonicalise NaN.
func Finish(s float32, bias []float32, o int, relu bool) float32 {
	if bias != nil {
		s += bias[o]
	}
	if relu && !(s > 0) {
		s = 0
	}
	if s != s {
		s = math.Float32frombits(CanonicalNaN)
	}
	return s
}

// dot is the rule's dot product of two equally long vectors: a sequential
// float32 sum from +0.0 with every product rounded before the add.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for i, v := range a {
		s += float32(v * b[i])
	}
	return s
}

// Reference is the naive, single-threaded Backend: the executable definition
// of the arithmetic rule that every other backend is tested against.
type Reference struct{}

// Name returns "reference".
func (Reference) Name() string { return "reference" }

// Dense implements Backend.
func (Reference) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) ([]float32, error) {
	if err := ValidateDense(x, rows, in, w, bias, out); err != nil {
		return nil, err
	}
	y := make([]float32, rows*out)
	for r := 0; r < rows; r++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		xr := x[r*in : (r+1)*in]
		for o := 0; o < out; o++ {
			y[r*out+o] = Finish(dot(xr, w[o*in:(o+1)*in]), bias, o, relu)
		}
	}
	return y, nil
}

// Transpose returns the cols×rows transpose of the rows×cols row-major matrix
// a. It turns a GEMM's B (k×n) into a Dense weight (n×k).
func Transpose(a []float32, rows, cols int) ([]float32, error) {
	if rows < 1 || cols < 1 || rows > MaxDenseElements/cols || len(a) != rows*cols {
		return nil, fmt.Errorf("%w: transpose of %d values as %d×%d", ErrShape, len(a), rows, cols)
	}
	t := make([]float32, len(a))
	for r := 0; r < rows; r++ {
		for c, v := range a[r*cols : (r+1)*cols] {
			t[c*rows+r] = v
		}
	}
	return t, nil
}

// Gemm computes C = A·B (A m×k, B k×n, both row-major) with backend b under
// the arithmetic rule: it is Dense with w = Bᵀ and no bias.
func Gemm(ctx context.Context, b Backend, a []float32, m, k int, bm []float32, n int) ([]float32, error) {
	bt, err := Transpose(bm, k, n)
	if err != nil {
		return nil, err
	}
	return b.Dense(ctx, a, m, k, bt, nil, n, false)
}
