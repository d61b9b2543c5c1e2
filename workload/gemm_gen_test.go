package workload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// The serial generators as they were before generation went parallel: one
// SplitMix64 step per value, in stream order. They define the values; the
// fast generators must match them bit for bit.

func refGemmA(p GemmParams, r0, r1 int) []float32 {
	a := make([]float32, (r1-r0)*p.K)
	g := SplitMix64{State: p.Seed + uint64(r0)*uint64(p.K)*SplitMixGamma}
	for i := range a {
		a[i] = UnitFloat(g.Next())
	}
	return a
}

func refGemmB(p GemmParams) []float32 {
	b := make([]float32, p.K*p.N)
	g := SplitMix64{State: p.Seed ^ GemmBSeedXor}
	for i := range b {
		b[i] = UnitFloat(g.Next())
	}
	return b
}

func refGemmBT(p GemmParams) []float32 {
	bt := make([]float32, p.K*p.N)
	g := SplitMix64{State: p.Seed ^ GemmBSeedXor}
	for i := 0; i < p.K; i++ {
		for o := 0; o < p.N; o++ {
			bt[o*p.K+i] = UnitFloat(g.Next())
		}
	}
	return bt
}

// testPool is a Parallel that runs the blocks on w goroutines, goroutine g
// taking blocks n-1-g, n-1-g-w, … (backwards, interleaved), so the result
// cannot depend on the order blocks are generated in.
type testPool struct{ w int }

func (p testPool) ForEach(ctx context.Context, n int, f func(i int)) error {
	var wg sync.WaitGroup
	var cancelled atomic.Bool
	for g := 0; g < p.w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := n - 1 - g; i >= 0; i -= p.w {
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

// parReference is the reference backend with a testPool.
type parReference struct {
	Reference
	testPool
}

// genShapes are (M, N, K) shapes around the block size, with one dimension
// 1, and one large (2^22 values of Bᵀ, 128 blocks).
var genShapes = [][3]int{
	{1, 1, 1}, {3, 1, 100003}, {2, 100003, 1}, {1, 7, streamBlock - 1},
	{5, 3, streamBlock + 1}, {4, streamBlock + 3, 2}, {9, 33, 4099},
	{17, 1, 2*streamBlock + 5}, {2, 2048, 2048},
}

var genSeeds = []uint64{0, 42, 1<<64 - 1, GemmBSeedXor}

func TestGemmGenerationMatchesSerial(t *testing.T) {
	for _, par := range []Parallel{nil, testPool{1}, testPool{3}, testPool{8}} {
		for _, s := range genShapes {
			for _, seed := range genSeeds {
				p := GemmParams{M: s[0], N: s[1], K: s[2], Seed: seed, ChunkRows: 1}
				t.Run(fmt.Sprintf("%v/%dx%dx%d/seed%#x", par, s[0], s[1], s[2], seed), func(t *testing.T) {
					checkGeneration(t, par, p)
				})
			}
		}
	}
}

func checkGeneration(t *testing.T, par Parallel, p GemmParams) {
	t.Helper()
	bt, err := GemmBTContext(context.Background(), par, p)
	if err != nil {
		t.Fatal(err)
	}
	expectBits(t, bt, refGemmBT(p))
	if par == nil {
		b, err := GemmB(p)
		if err != nil {
			t.Fatal(err)
		}
		expectBits(t, b, refGemmB(p))
	}
	for _, r := range [][2]int{{0, p.M}, {p.M / 2, p.M}, {p.M - 1, p.M}} {
		if r[0] >= r[1] {
			continue
		}
		a, err := gemmA(context.Background(), par, p, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		expectBits(t, a, refGemmA(p, r[0], r[1]))
	}
}

// TestGemmBTLargeMatchesSerial compares one Bᵀ of 2^24 values (64 MiB,
// N large so the reference's stores stride across pages, as in the job that
// motivated the generator).
func TestGemmBTLargeMatchesSerial(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB matrix")
	}
	p := GemmParams{M: 1, N: 32768, K: 512, Seed: 7, ChunkRows: 1}
	bt, err := GemmBTContext(context.Background(), testPool{4}, p)
	if err != nil {
		t.Fatal(err)
	}
	expectBits(t, bt, refGemmBT(p))
}

// cancelAfter is a context whose Err turns to context.Canceled after n
// calls, so that a cancellation lands in the middle of a generation.
type cancelAfter struct {
	context.Context
	n atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestGemmGenerationStopsWithContext(t *testing.T) {
	p := GemmParams{M: 64, N: 1024, K: 1024, Seed: 3, ChunkRows: 8}
	for _, par := range []Parallel{nil, testPool{4}} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := GemmBTContext(ctx, par, p); !errors.Is(err, context.Canceled) {
			t.Fatalf("%v, cancelled before: err = %v", par, err)
		}
		mid := &cancelAfter{Context: context.Background()}
		mid.n.Store(5) // 1024² values are 32 blocks
		if _, err := GemmBTContext(mid, par, p); !errors.Is(err, context.Canceled) {
			t.Fatalf("%v, cancelled midway: err = %v", par, err)
		}
	}
	// A job whose first ComputeRows is cancelled while generating Bᵀ
	// generates it again, whole, on the next call.
	j, err := NewGemmJob(p)
	if err != nil {
		t.Fatal(err)
	}
	mid := &cancelAfter{Context: context.Background()}
	mid.n.Store(5)
	if _, err := j.ComputeRows(mid, parReference{testPool: testPool{2}}, 0, 8); !errors.Is(err, context.Canceled) {
		t.Fatalf("ComputeRows cancelled midway: err = %v", err)
	}
	checkJobRows(t, j, parReference{testPool: testPool{2}})
}

// checkJobRows compares rows of j's output with the naive product of the
// reference matrices.
func checkJobRows(t *testing.T, j *GemmJob, b Backend) {
	t.Helper()
	p := j.Params()
	r0, r1 := p.M/3, p.M/3+2
	y, err := j.ComputeRows(context.Background(), b, r0, r1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Reference{}.Dense(context.Background(), refGemmA(p, r0, r1), r1-r0, p.K, refGemmBT(p), nil, p.N, false)
	if err != nil {
		t.Fatal(err)
	}
	expectBits(t, y, want)
}

// TestGemmJobGeneratesBOnceConcurrently: concurrent first calls on one job
// share one Bᵀ and all get the reference output.
func TestGemmJobGeneratesBOnceConcurrently(t *testing.T) {
	p := GemmParams{M: 40, N: 300, K: 500, Seed: 11, ChunkRows: 4}
	j, err := NewGemmJob(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := j.ComputeRows(context.Background(), Reference{}, 8, 12)
	if err != nil {
		t.Fatal(err)
	}
	j, _ = NewGemmJob(p) // want was computed by another job's Bᵀ
	got := make([][]float32, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[g], errs[g] = j.ComputeRows(context.Background(), parReference{testPool: testPool{2}}, 8, 12)
		}()
	}
	wg.Wait()
	for g := range got {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		expectBits(t, got[g], want)
	}
	first := &j.bt[0]
	checkJobRows(t, j, Reference{})
	if &j.bt[0] != first {
		t.Fatal("Bᵀ was generated again")
	}
}
