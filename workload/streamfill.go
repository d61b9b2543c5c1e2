package workload

import "context"

// streamBlock is the number of values generated between two looks at the
// context, and the unit of work handed to a Parallel (128 KiB of output).
const streamBlock = 1 << 15

// Parallel is implemented by backends that run independent pieces of host
// work on several goroutines (this package starts none: on-chain code
// depends on it). The input generators use it when the backend has one.
type Parallel interface {
	// ForEach calls f(i) once for every i in [0, n), in any order and from
	// any number of goroutines, and returns when all calls have returned. It
	// looks at ctx before each call and, once ctx has ended, makes no more
	// calls and returns ctx's error.
	ForEach(ctx context.Context, n int, f func(i int)) error
}

// streamLayout places a SplitMix64 stream in a row-major matrix of rows of
// cols values: element (r, c) is UnitFloat of output r·rowStep + c·colStep
// (0-based) of the stream of state seed.
//
// Output j of a stream of state seed is mix(seed + (j+1)·gamma) mod 2^64, so
// every element is computed from its own position: the matrix is written in
// memory order, in independent blocks, and each value is exactly the one a
// serial walk of the stream gives it.
type streamLayout struct {
	seed             uint64
	cols             int
	rowStep, colStep uint64
}

// fill fills dst (a whole number of rows, or any prefix of one), on par's
// goroutines when par is not nil, and returns the context's error if it
// ended before every block was generated.
func (l streamLayout) fill(ctx context.Context, par Parallel, dst []float32) error {
	blocks := (len(dst) + streamBlock - 1) / streamBlock
	block := func(b int) {
		lo := b * streamBlock
		l.fillRange(dst, lo, min(lo+streamBlock, len(dst)))
	}
	if par != nil && blocks > 1 {
		return par.ForEach(ctx, blocks, block)
	}
	for b := 0; b < blocks; b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		block(b)
	}
	return nil
}

// fillRange generates the elements at flat indices [lo, hi) of dst, row
// piece by row piece: along a row the stream state advances by
// colStep·gamma from one element to the next.
func (l streamLayout) fillRange(dst []float32, lo, hi int) {
	step := l.colStep * SplitMixGamma
	for f := lo; f < hi; {
		r, c := f/l.cols, f%l.cols
		end := min(hi, f+l.cols-c)
		s := l.seed + (uint64(r)*l.rowStep+uint64(c)*l.colStep+1)*SplitMixGamma
		row := dst[f:end]
		for i := range row {
			row[i] = UnitFloat(splitMixMix(s))
			s += step
		}
		f = end
	}
}
