package cuda

import (
	"context"
	"fmt"
	"math"
	"runtime"

	"github.com/aichain/aichain/workload"
)

// Launch geometry of the gpt-f32 kernels (gpt.cu reads blockDim, so only
// the grids must cover the work).
const (
	rowBlock  = 256 // threads per row (layernorm, store_kv)
	eltBlock  = 256 // threads per block of elements (gelu, add)
	headBlock = 128 // threads per (row, head) (attention)
)

var _ workload.GPTBackend = (*Backend)(nil)

// devBuf is a buffer in device memory. An int buffer keeps a host copy of
// its values, which the launches that take it bound-check against.
type devBuf struct {
	ptr  uint64
	n    int
	ints []int32
}

// Len returns the number of values.
func (d *devBuf) Len() int { return d.n }

// gptKernels runs the gpt-f32 operations on the backend's device: the
// model's weights are uploaded once per decode, the activations and the
// key/value caches stay on the device, and only logits come back.
type gptKernels struct{ b *Backend }

// GPTKernels returns the backend's gpt-f32 kernels.
func (b *Backend) GPTKernels() workload.GPTKernels { return gptKernels{b} }

// loadGPT loads gpt.ptx and its entry points.
func (b *Backend) loadGPT() error {
	var err error
	if b.gptMod, err = b.drv.loadModule(gptPTX); err != nil {
		return err
	}
	b.gptFns = map[string]uintptr{}
	for _, name := range gptKernelNames {
		if b.gptFns[name], err = b.drv.getFunction(b.gptMod, name); err != nil {
			return err
		}
	}
	return nil
}

// do runs f with the backend's context current on a locked thread.
func (k gptKernels) do(f func(d driver) error) error {
	b := k.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := b.drv.setCurrent(b.ctx); err != nil {
		return err
	}
	return f(b.drv)
}

// buf checks that g is a device buffer of at least n values.
func buf(g workload.GPTBuffer, n int) (*devBuf, error) {
	d, ok := g.(*devBuf)
	if !ok || d == nil || d.n < n {
		return nil, fmt.Errorf("%w: cuda kernels need a device buffer of at least %d values, got %T", workload.ErrShape, n, g)
	}
	return d, nil
}

func (k gptKernels) Name() string { return "cuda" }

// alloc allocates n values (at least one word) in d.
func alloc(d driver, n int) (*devBuf, error) {
	p, err := d.memAlloc(uint64(4 * max(n, 1)))
	if err != nil {
		return nil, err
	}
	return &devBuf{ptr: p, n: n}, nil
}

func (k gptKernels) Upload(v []float32) (workload.GPTBuffer, error) {
	var out *devBuf
	err := k.do(func(d driver) error {
		var err error
		if out, err = alloc(d, len(v)); err != nil {
			return err
		}
		if err = d.htod(out.ptr, v); err != nil {
			_ = d.memFree(out.ptr)
		}
		return err
	})
	return out, err
}

func (k gptKernels) UploadInts(v []int32) (workload.GPTBuffer, error) {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = math.Float32frombits(uint32(x)) // the device reads the same bytes as int
	}
	out, err := k.Upload(f)
	if err != nil {
		return nil, err
	}
	out.(*devBuf).ints = append([]int32(nil), v...)
	return out, nil
}

func (k gptKernels) Alloc(n int) (workload.GPTBuffer, error) {
	var out *devBuf
	err := k.do(func(d driver) error {
		var err error
		if out, err = alloc(d, n); err != nil {
			return err
		}
		if err = d.memsetZero(out.ptr, uint64(max(n, 1))); err != nil {
			_ = d.memFree(out.ptr)
		}
		return err
	})
	return out, err
}

func (k gptKernels) Download(g workload.GPTBuffer, off int, dst []float32) error {
	src, err := buf(g, off+len(dst))
	if err != nil || len(dst) == 0 {
		return err
	}
	return k.do(func(d driver) error { return d.dtoh(dst, src.ptr+4*uint64(off)) })
}

func (k gptKernels) Free(bufs ...workload.GPTBuffer) {
	_ = k.do(func(d driver) error {
		for _, g := range bufs {
			if b, ok := g.(*devBuf); ok && b != nil && b.ptr != 0 {
				_ = d.memFree(b.ptr)
				b.ptr = 0
			}
		}
		return nil
	})
}

// launch allocates an output of n values (when n ≥ 0), runs fn and waits
// for it; the output is freed on failure.
func (k gptKernels) launch(n int, fn string, grid, block [3]uint32, shared uint32, args func(out uint64) []any) (*devBuf, error) {
	var out *devBuf
	err := k.do(func(d driver) error {
		var outPtr uint64
		if n >= 0 {
			var err error
			if out, err = alloc(d, n); err != nil {
				return err
			}
			outPtr = out.ptr
		}
		err := d.launch(k.b.gptFns[fn], grid, block, shared, args(outPtr)...)
		if err == nil {
			err = d.synchronize()
		}
		if err != nil && out != nil {
			_ = d.memFree(out.ptr)
			out = nil
		}
		return err
	})
	return out, err
}

func (k gptKernels) Dense(ctx context.Context, x workload.GPTBuffer, rows, in int, w, bias workload.GPTBuffer, out int) (workload.GPTBuffer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := denseLaunchable(rows, in, out); err != nil {
		return nil, err
	}
	dx, err := buf(x, rows*in)
	if err != nil {
		return nil, err
	}
	dw, err := buf(w, out*in)
	if err != nil {
		return nil, err
	}
	var db uint64
	hasBias := int32(0)
	if bias != nil {
		b, err := buf(bias, out)
		if err != nil {
			return nil, err
		}
		db, hasBias = b.ptr, 1
	}
	grid := [3]uint32{uint32((rows + tileRows - 1) / tileRows), uint32((out + tileCols - 1) / tileCols), 1}
	var y *devBuf
	err = k.do(func(d driver) error {
		var err error
		if y, err = alloc(d, rows*out); err != nil {
			return err
		}
		err = d.launch(k.b.fn, grid, [3]uint32{blockDim, blockDim, 1}, 0,
			dx.ptr, dw.ptr, db, y.ptr, int32(rows), int32(in), int32(out), hasBias, int32(0))
		if err == nil {
			err = d.synchronize()
		}
		if err != nil {
			_ = d.memFree(y.ptr)
			y = nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return y, nil
}

func (k gptKernels) LayerNorm(x workload.GPTBuffer, rows, n int, g, b workload.GPTBuffer) (workload.GPTBuffer, error) {
	if rows < 1 || n < 1 || rows > math.MaxInt32/n {
		return nil, fmt.Errorf("%w: layernorm of %d rows of %d", workload.ErrShape, rows, n)
	}
	dx, err := buf(x, rows*n)
	if err != nil {
		return nil, err
	}
	dg, err := buf(g, n)
	if err != nil {
		return nil, err
	}
	dbias, err := buf(b, n)
	if err != nil {
		return nil, err
	}
	return k.launch(rows*n, KernelLayerNorm, [3]uint32{uint32(rows), 1, 1}, [3]uint32{rowBlock, 1, 1}, 0, func(y uint64) []any {
		return []any{dx.ptr, dg.ptr, dbias.ptr, y, int32(rows), int32(n)}
	})
}

// elementwise runs a kernel over n elements of x (and y).
func (k gptKernels) elementwise(fn string, x, y workload.GPTBuffer, n int) error {
	dx, err := buf(x, n)
	if err != nil || n == 0 {
		return err
	}
	args := []any{dx.ptr}
	if y != nil {
		dy, err := buf(y, n)
		if err != nil {
			return err
		}
		args = append(args, dy.ptr)
	}
	args = append(args, uint64(n))
	_, err = k.launch(-1, fn, [3]uint32{uint32((n + eltBlock - 1) / eltBlock), 1, 1}, [3]uint32{eltBlock, 1, 1}, 0,
		func(uint64) []any { return args })
	return err
}

func (k gptKernels) GELU(x workload.GPTBuffer, n int) error {
	return k.elementwise(KernelGELU, x, nil, n)
}

func (k gptKernels) Add(x, y workload.GPTBuffer, n int) error {
	return k.elementwise(KernelAdd, x, y, n)
}

// spanArgs checks a spans buffer of rows rows against caches of cacheRows
// rows and returns it and its longest span.
func spanArgs(spans workload.GPTBuffer, rows, cacheRows int) (*devBuf, int, error) {
	sp, err := buf(spans, 2*rows)
	if err != nil {
		return nil, 0, err
	}
	if len(sp.ints) < 2*rows {
		return nil, 0, fmt.Errorf("%w: spans is not an int buffer of %d values", workload.ErrShape, 2*rows)
	}
	longest := 0
	for r := 0; r < rows; r++ {
		base, n := int(sp.ints[2*r]), int(sp.ints[2*r+1])
		if base < 0 || n < 1 || base+n > cacheRows {
			return nil, 0, fmt.Errorf("%w: row %d's span (%d, %d) is outside a cache of %d rows", workload.ErrShape, r, base, n, cacheRows)
		}
		longest = max(longest, n)
	}
	return sp, longest, nil
}

func (k gptKernels) StoreKV(qkv workload.GPTBuffer, rows, embed int, spans, kc, vc workload.GPTBuffer) error {
	q, err := buf(qkv, rows*3*embed)
	if err != nil {
		return err
	}
	dk, err := buf(kc, embed)
	if err != nil {
		return err
	}
	dv, err := buf(vc, dk.n)
	if err != nil {
		return err
	}
	sp, _, err := spanArgs(spans, rows, dk.n/embed)
	if err != nil {
		return err
	}
	_, err = k.launch(-1, KernelStoreKV, [3]uint32{uint32(rows), 1, 1}, [3]uint32{rowBlock, 1, 1}, 0, func(uint64) []any {
		return []any{q.ptr, int32(rows), int32(embed), sp.ptr, dk.ptr, dv.ptr}
	})
	return err
}

func (k gptKernels) Attention(qkv workload.GPTBuffer, rows, heads, headDim int, spans, kc, vc workload.GPTBuffer) (workload.GPTBuffer, error) {
	e := heads * headDim
	q, err := buf(qkv, rows*3*e)
	if err != nil {
		return nil, err
	}
	dk, err := buf(kc, e)
	if err != nil {
		return nil, err
	}
	dv, err := buf(vc, dk.n)
	if err != nil {
		return nil, err
	}
	sp, longest, err := spanArgs(spans, rows, dk.n/e)
	if err != nil {
		return nil, err
	}
	if longest > workload.MaxGPTContext || rows > math.MaxInt32/heads {
		return nil, fmt.Errorf("%w: attention over %d positions for %d rows × %d heads", workload.ErrShape, longest, rows, heads)
	}
	return k.launch(rows*e, KernelAttention, [3]uint32{uint32(rows * heads), 1, 1}, [3]uint32{headBlock, 1, 1}, uint32(4*longest),
		func(out uint64) []any {
			return []any{q.ptr, int32(rows), int32(heads), int32(headDim), sp.ptr, dk.ptr, dv.ptr, out}
		})
}
