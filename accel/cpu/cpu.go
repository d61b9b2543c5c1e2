// Package cpu is aichain's pure-Go execution backend. It computes the
// workload.Backend Dense operation on every core and is bit-identical to
// workload.Reference, the naive definition of the arithmetic rule: each output
// element is still one sequential float32 sum in index order from +0.0 with
// every product rounded before the add (no FMA).
//
// Speed comes from computing many independent sums at once, never from
// reordering one: a 2×4 register-blocked micro-kernel (2 input rows × 4
// output columns, eight accumulators, both operands contiguous along k),
// cache tiling over rows and columns, and tiling over k that carries each
// element's partial sum through the output buffer in order (a float32 stored
// and reloaded is exact); rows of a few inputs are summed one column at a
// time, in tiles of more columns. Tiles are shared by runtime.GOMAXPROCS
// goroutines.
package cpu

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/aichain/aichain/workload"
)

// Tile sizes. rowTile must be even and colTile a multiple of 4.
const (
	rowTile = 32
	colTile = 64
	kTile   = 512
	// minColTiles is the fewest column tiles a layer's tiles are widened
	// to (see Dense).
	minColTiles = 16
)

// Backend is the CPU backend. The zero value uses runtime.GOMAXPROCS(0)
// goroutines.
type Backend struct {
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	Workers int
}

var (
	_ workload.Backend  = (*Backend)(nil)
	_ workload.Parallel = (*Backend)(nil)
)

// New returns a CPU backend using every core.
func New() *Backend { return &Backend{} }

// Name returns "cpu".
func (b *Backend) Name() string { return "cpu" }

// Dense implements workload.Backend.
func (b *Backend) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) ([]float32, error) {
	if err := workload.ValidateDense(x, rows, in, w, bias, out); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	y := make([]float32, rows*out)
	// A tile's columns hold up to colTile·kTile weights: more than colTile
	// columns when the layer has fewer than kTile inputs, as long as its
	// columns still split into minColTiles tiles. A narrow layer's tile of
	// colTile columns is a few products, cheaper than taking it from the
	// shared counter.
	cols := colTile * max(1, min(kTile/in, out/(colTile*minColTiles)))
	rt := (rows + rowTile - 1) / rowTile
	ct := (out + cols - 1) / cols
	tiles := rt * ct
	d := dense{x: x, rows: rows, in: in, w: w, bias: bias, out: out, cols: cols, relu: relu, y: y}
	if err := b.ForEach(ctx, tiles, func(t int) { d.tile(t/ct, t%ct) }); err != nil {
		return nil, err
	}
	return y, nil
}

// ForEach implements workload.Parallel: f(0) … f(n-1) on at most Workers
// goroutines (on the caller's alone when that is 1), taken in order from a
// shared counter, stopping at the first look at a context that has ended.
func (b *Backend) ForEach(ctx context.Context, n int, f func(i int)) error {
	workers := b.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			f(i)
		}
		return nil
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var cancelled atomic.Bool
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if ctx.Err() != nil {
					cancelled.Store(true)
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
	if cancelled.Load() {
		return ctx.Err()
	}
	return nil
}

type dense struct {
	x        []float32
	rows, in int
	w, bias  []float32
	out      int
	cols     int // columns per tile: a multiple of colTile
	relu     bool
	y        []float32
}

// tile computes output rows [rt·rowTile, …) × columns [ct·d.cols, …).
// Each sum starts at +0.0 in the first k tile and is finished (bias, ReLU,
// canonical NaN) as the last k tile stores it: y is never read before this
// tile has written it.
func (d *dense) tile(rt, ct int) {
	r0, r1 := rt*rowTile, min((rt+1)*rowTile, d.rows)
	o0, o1 := ct*d.cols, min((ct+1)*d.cols, d.out)
	in, out := d.in, d.out
	var c [8]float32
	for k0 := 0; k0 < in; k0 += kTile {
		k1 := min(k0+kTile, in)
		first, last := k0 == 0, k1 == in
		for r := r0; r < r1; r += 2 {
			if r == r1-1 {
				d.row(r, o0, o1, k0, k1) // an odd last row alone
				break
			}
			ra, rb := r, r+1
			xa := d.x[ra*in+k0 : ra*in+k1]
			xb := d.x[rb*in+k0 : rb*in+k1]
			ya := d.y[ra*out : (ra+1)*out]
			yb := d.y[rb*out : (rb+1)*out]
			for o := o0; o < o1; o += 4 {
				// Columns past o1 repeat the last one; their sums are dropped.
				oa, ob, oc, od := o, min(o+1, o1-1), min(o+2, o1-1), min(o+3, o1-1)
				c = [8]float32{}
				if !first {
					c = [8]float32{ya[oa], ya[ob], ya[oc], ya[od], yb[oa], yb[ob], yb[oc], yb[od]}
				}
				kernel2x4(xa, xb,
					d.w[oa*in+k0:oa*in+k1], d.w[ob*in+k0:ob*in+k1],
					d.w[oc*in+k0:oc*in+k1], d.w[od*in+k0:od*in+k1], &c)
				n := min(4, o1-o)
				d.put(ya, o, c[:n], last)
				d.put(yb, o, c[4:4+n], last)
			}
		}
	}
}

// put stores the sums s of columns o, o+1, … into the output row y: as they
// are when more k tiles follow, finished when last.
func (d *dense) put(y []float32, o int, s []float32, last bool) {
	if !last {
		copy(y[o:], s)
		return
	}
	for j, v := range s {
		y[o+j] = workload.Finish(v, d.bias, o+j, d.relu)
	}
}

// narrowRow is the most inputs a row's k range has for row to compute its
// sums one column at a time: for so few products, kernel1x8's setup of
// eight weight rows costs more than they do.
const narrowRow = 16

// row continues the sums of one output row r over k in [k0, k1), eight
// columns at a time (a decode step's single row, or a tile's odd last row),
// or one at a time for a range of at most narrowRow inputs.
func (d *dense) row(r, o0, o1, k0, k1 int) {
	if k1-k0 <= narrowRow {
		d.narrow(r, o0, o1, k0, k1)
		return
	}
	in := d.in
	first, last := k0 == 0, k1 == in
	x := d.x[r*in+k0 : r*in+k1]
	y := d.y[r*d.out : (r+1)*d.out]
	var c [8]float32
	for o := o0; o < o1; o += 8 {
		var ws [8][]float32
		for j := range ws {
			oj := min(o+j, o1-1) // columns past o1 repeat the last one; dropped
			ws[j] = d.w[oj*in+k0 : oj*in+k1]
			c[j] = 0
			if !first {
				c[j] = y[oj]
			}
		}
		kernel1x8(x, &ws, &c)
		d.put(y, o, c[:min(8, o1-o)], last)
	}
}

// narrow is row one column at a time: each sum is a short loop of its own.
func (d *dense) narrow(r, o0, o1, k0, k1 int) {
	in := d.in
	first, last := k0 == 0, k1 == in
	x := d.x[r*in+k0 : r*in+k1]
	y := d.y[r*d.out : (r+1)*d.out]
	for o := o0; o < o1; o++ {
		w := d.w[o*in+k0 : o*in+k1]
		w = w[:len(x)]
		var s float32
		if !first {
			s = y[o]
		}
		for i, a := range x {
			s += float32(a * w[i])
		}
		if last {
			s = workload.Finish(s, d.bias, o, d.relu)
		}
		y[o] = s
	}
}

// kernel1x8 continues eight independent sums: c[b] += x[i]·w_b[i] for i in
// order, each product rounded to float32 before the add.
func kernel1x8(x []float32, w *[8][]float32, c *[8]float32) {
	n := len(x)
	w0, w1, w2, w3 := w[0][:n], w[1][:n], w[2][:n], w[3][:n]
	w4, w5, w6, w7 := w[4][:n], w[5][:n], w[6][:n], w[7][:n]
	c0, c1, c2, c3, c4, c5, c6, c7 := c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
	for i := 0; i < n; i++ {
		a := x[i]
		c0 += float32(a * w0[i])
		c1 += float32(a * w1[i])
		c2 += float32(a * w2[i])
		c3 += float32(a * w3[i])
		c4 += float32(a * w4[i])
		c5 += float32(a * w5[i])
		c6 += float32(a * w6[i])
		c7 += float32(a * w7[i])
	}
	c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] = c0, c1, c2, c3, c4, c5, c6, c7
}

// kernel2x4 continues eight independent sums: c[4a+b] += x_a[i]·w_b[i] for
// i in order, each product rounded to float32 before the add.
func kernel2x4(x0, x1, w0, w1, w2, w3 []float32, c *[8]float32) {
	n := len(x0)
	x1 = x1[:n]
	w0 = w0[:n]
	w1 = w1[:n]
	w2 = w2[:n]
	w3 = w3[:n]
	c00, c01, c02, c03 := c[0], c[1], c[2], c[3]
	c10, c11, c12, c13 := c[4], c[5], c[6], c[7]
	for i := 0; i < n; i++ {
		a0, a1 := x0[i], x1[i]
		b0, b1, b2, b3 := w0[i], w1[i], w2[i], w3[i]
		c00 += float32(a0 * b0)
		c01 += float32(a0 * b1)
		c02 += float32(a0 * b2)
		c03 += float32(a0 * b3)
		c10 += float32(a1 * b0)
		c11 += float32(a1 * b1)
		c12 += float32(a1 * b2)
		c13 += float32(a1 * b3)
	}
	c[0], c[1], c[2], c[3] = c00, c01, c02, c03
	c[4], c[5], c[6], c[7] = c10, c11, c12, c13
}
