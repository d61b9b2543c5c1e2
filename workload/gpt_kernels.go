package workload

import (
	"context"
	"fmt"
)

// GPTBuffer is a buffer of float32 (or int32) values owned by a GPTKernels
// implementation: host memory for the CPU, device memory for CUDA.
type GPTBuffer interface {
	Len() int
}

// GPTKernels are the operations DecodeGPT builds a gpt-f32 decode from, on
// buffers the implementation owns. Each is defined element by element by
// the scalar functions of gpt_math.go and the Dense rule, so every
// implementation gives the same bits; they differ only in where and how
// many elements run at once. Operations return new buffers or update their
// first argument; inputs are never changed otherwise.
type GPTKernels interface {
	Name() string
	// Upload returns a buffer holding v. It may alias v: the caller does
	// not change v while the buffer lives.
	Upload(v []float32) (GPTBuffer, error)
	// UploadInts returns a buffer holding int32 values.
	UploadInts(v []int32) (GPTBuffer, error)
	// Alloc returns a buffer of n zeros.
	Alloc(n int) (GPTBuffer, error)
	// Download copies len(dst) values from b, starting at off.
	Download(b GPTBuffer, off int, dst []float32) error
	// Free releases buffers (nil entries are ignored).
	Free(bufs ...GPTBuffer)
	// Dense is the Dense rule with no ReLU: y (rows×out) = x (rows×in)·wᵀ
	// (+ bias when non-nil), w being out×in.
	Dense(ctx context.Context, x GPTBuffer, rows, in int, w, bias GPTBuffer, out int) (GPTBuffer, error)
	// LayerNorm applies LayerNorm32 with gains g and biases b to each of
	// rows rows of n values.
	LayerNorm(x GPTBuffer, rows, n int, g, b GPTBuffer) (GPTBuffer, error)
	// GELU replaces x[i] by GELU32(x[i]) for i < n.
	GELU(x GPTBuffer, n int) error
	// Add sets x[i] = x[i] + y[i] for i < n.
	Add(x, y GPTBuffer, n int) error
	// StoreKV copies the keys and values of rows rows of qkv (each row
	// q | k | v of embed values each) into the caches kc and vc (rows of
	// embed values): row r goes to cache row spans[2r] + spans[2r+1] − 1.
	StoreKV(qkv GPTBuffer, rows, embed int, spans, kc, vc GPTBuffer) error
	// Attention returns rows×(heads·headDim) values: for row r and head h,
	// AttendHead of the row's query over cache rows spans[2r] ..
	// spans[2r] + spans[2r+1] − 1, with AttentionScale(headDim).
	Attention(qkv GPTBuffer, rows, heads, headDim int, spans, kc, vc GPTBuffer) (GPTBuffer, error)
}

// GPTBackend is a Backend with its own gpt-f32 kernels (the CPU backend on
// every core, the CUDA backend on the device).
type GPTBackend interface {
	Backend
	GPTKernels() GPTKernels
}

// KernelsFor returns b's gpt-f32 kernels, or host kernels that run b's
// Dense and every other operation in order on the calling goroutine.
func KernelsFor(b Backend) GPTKernels {
	if g, ok := b.(GPTBackend); ok {
		return g.GPTKernels()
	}
	return &HostKernels{Backend: b}
}

// HostBuffer is a GPTBuffer in host memory. Its memory belongs to the
// garbage collector, not to the kernels (Free does not reuse it), so a
// caller may read a HostBuffer in place instead of downloading it: DecodeGPT
// does so with the logits.
type HostBuffer []float32

// Len returns the number of values.
func (h HostBuffer) Len() int { return len(h) }

// HostInts is an int32 GPTBuffer in host memory.
type HostInts []int32

// Len returns the number of values.
func (h HostInts) Len() int { return len(h) }

// HostKernels implements GPTKernels in host memory: Dense through Backend,
// the other operations with the scalar functions of this package. For, when
// set, runs f(0..n−1) (on several goroutines, say: each f(i) writes only its
// own outputs); nil runs them in order.
type HostKernels struct {
	Backend Backend
	For     func(n int, f func(i int))
}

var _ GPTKernels = (*HostKernels)(nil)

// Name returns the backend's name.
func (k *HostKernels) Name() string { return k.Backend.Name() }

func (k *HostKernels) each(n int, f func(i int)) {
	if k.For != nil {
		k.For(n, f)
		return
	}
	for i := 0; i < n; i++ {
		f(i)
	}
}

func floats(b GPTBuffer, n int) ([]float32, error) {
	h, ok := b.(HostBuffer)
	if !ok || len(h) < n {
		return nil, fmt.Errorf("%w: host kernels need a float buffer of at least %d values, got %T", ErrShape, n, b)
	}
	return h, nil
}

func ints(b GPTBuffer, n int) ([]int32, error) {
	h, ok := b.(HostInts)
	if !ok || len(h) < n {
		return nil, fmt.Errorf("%w: host kernels need an int buffer of at least %d values, got %T", ErrShape, n, b)
	}
	return h, nil
}

// Upload aliases v.
func (k *HostKernels) Upload(v []float32) (GPTBuffer, error) { return HostBuffer(v), nil }

// UploadInts aliases v.
func (k *HostKernels) UploadInts(v []int32) (GPTBuffer, error) { return HostInts(v), nil }

// Alloc returns n zeros.
func (k *HostKernels) Alloc(n int) (GPTBuffer, error) { return make(HostBuffer, n), nil }

// Download copies values out.
func (k *HostKernels) Download(b GPTBuffer, off int, dst []float32) error {
	src, err := floats(b, off+len(dst))
	if err != nil {
		return err
	}
	copy(dst, src[off:])
	return nil
}

// Free does nothing: host buffers are garbage collected.
func (k *HostKernels) Free(...GPTBuffer) {}

// Dense runs the backend's Dense.
func (k *HostKernels) Dense(ctx context.Context, x GPTBuffer, rows, in int, w, bias GPTBuffer, out int) (GPTBuffer, error) {
	xs, err := floats(x, rows*in)
	if err != nil {
		return nil, err
	}
	ws, err := floats(w, out*in)
	if err != nil {
		return nil, err
	}
	var bs []float32
	if bias != nil {
		if bs, err = floats(bias, out); err != nil {
			return nil, err
		}
		bs = bs[:out]
	}
	y, err := k.Backend.Dense(ctx, xs[:rows*in], rows, in, ws[:out*in], bs, out, false)
	if err != nil {
		return nil, err
	}
	return HostBuffer(y), nil
}

// LayerNorm normalises each row.
func (k *HostKernels) LayerNorm(x GPTBuffer, rows, n int, g, b GPTBuffer) (GPTBuffer, error) {
	xs, err := floats(x, rows*n)
	if err != nil {
		return nil, err
	}
	gs, err := floats(g, n)
	if err != nil {
		return nil, err
	}
	bs, err := floats(b, n)
	if err != nil {
		return nil, err
	}
	y := make(HostBuffer, rows*n)
	per := max(1, hostBlock/n) // rows per work item: short rows share one
	k.each((rows+per-1)/per, func(i int) {
		for r := i * per; r < min((i+1)*per, rows); r++ {
			LayerNorm32(xs[r*n:(r+1)*n], gs, bs, y[r*n:(r+1)*n])
		}
	})
	return y, nil
}

// hostBlock is the element range size of the elementwise host kernels' work
// items.
const hostBlock = 4096

// GELU applies GELU32 in place.
func (k *HostKernels) GELU(x GPTBuffer, n int) error {
	xs, err := floats(x, n)
	if err != nil {
		return err
	}
	k.each((n+hostBlock-1)/hostBlock, func(i int) {
		for j := i * hostBlock; j < min((i+1)*hostBlock, n); j++ {
			xs[j] = GELU32(xs[j])
		}
	})
	return nil
}

// Add adds y into x.
func (k *HostKernels) Add(x, y GPTBuffer, n int) error {
	xs, err := floats(x, n)
	if err != nil {
		return err
	}
	ys, err := floats(y, n)
	if err != nil {
		return err
	}
	for i := range xs[:n] {
		xs[i] += ys[i]
	}
	return nil
}

// StoreKV copies each row's key and value into the caches.
func (k *HostKernels) StoreKV(qkv GPTBuffer, rows, embed int, spans, kc, vc GPTBuffer) error {
	q, err := floats(qkv, rows*3*embed)
	if err != nil {
		return err
	}
	sp, err := ints(spans, 2*rows)
	if err != nil {
		return err
	}
	kcs, err := floats(kc, 0)
	if err != nil {
		return err
	}
	vcs, err := floats(vc, 0)
	if err != nil {
		return err
	}
	for r := 0; r < rows; r++ {
		dst := int(sp[2*r]) + int(sp[2*r+1]) - 1
		if sp[2*r] < 0 || sp[2*r+1] < 1 || (dst+1)*embed > len(kcs) || (dst+1)*embed > len(vcs) {
			return fmt.Errorf("%w: row %d's span (%d, %d) is outside the cache", ErrShape, r, sp[2*r], sp[2*r+1])
		}
		row := q[r*3*embed : (r+1)*3*embed]
		copy(kcs[dst*embed:(dst+1)*embed], row[embed:2*embed])
		copy(vcs[dst*embed:(dst+1)*embed], row[2*embed:])
	}
	return nil
}

// Attention runs AttendHead for every (row, head).
func (k *HostKernels) Attention(qkv GPTBuffer, rows, heads, headDim int, spans, kc, vc GPTBuffer) (GPTBuffer, error) {
	e := heads * headDim
	q, err := floats(qkv, rows*3*e)
	if err != nil {
		return nil, err
	}
	sp, err := ints(spans, 2*rows)
	if err != nil {
		return nil, err
	}
	kcs, err := floats(kc, 0)
	if err != nil {
		return nil, err
	}
	vcs, err := floats(vc, 0)
	if err != nil {
		return nil, err
	}
	longest := 1
	for r := 0; r < rows; r++ {
		base, n := int(sp[2*r]), int(sp[2*r+1])
		if base < 0 || n < 1 || (base+n)*e > len(kcs) || (base+n)*e > len(vcs) {
			return nil, fmt.Errorf("%w: row %d's span (%d, %d) is outside the cache", ErrShape, r, base, n)
		}
		longest = max(longest, n)
	}
	out := make(HostBuffer, rows*e)
	scale := AttentionScale(headDim)
	// Work items of several (row, head) pairs when they are short, each
	// with one scratch row: a pair's cost is its span, not an allocation.
	per := max(1, hostBlock/(headDim*longest))
	items := rows * heads
	k.each((items+per-1)/per, func(b int) {
		scratch := make([]float32, longest)
		for i := b * per; i < min((b+1)*per, items); i++ {
			r, h := i/heads, i%heads
			base, n := int(sp[2*r]), int(sp[2*r+1])
			off := h * headDim
			qh := q[r*3*e+off : r*3*e+off+headDim]
			AttendHead(qh, kcs[base*e+off:], vcs[base*e+off:], n, e, scale, scratch, out[r*e+off:r*e+off+headDim])
		}
	})
	return out, nil
}
