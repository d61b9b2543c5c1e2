package cpu

import (
	"context"
	"fmt"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/aichain/aichain/workload"
)

var gemmSizes = []int{512, 2048}

// BenchmarkGemm measures C = A·B (n×n×n) through Dense, in GFLOP/s
// (2n³ flops per op). Run the 2048 case with a short -benchtime.
func BenchmarkGemm(b *testing.B) {
	for _, n := range gemmSizes {
		b.Run(fmt.Sprintf("cpu/%d", n), func(b *testing.B) {
			p := workload.GemmParams{M: n, N: n, K: n, Seed: 1, ChunkRows: 64}
			x, _ := workload.GemmA(p, 0, n)
			w, _ := workload.GemmBT(p)
			be := New()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := be.Dense(context.Background(), x, n, n, w, nil, n, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("gonum-sgemm/%d", n), func(b *testing.B) {
			p := workload.GemmParams{M: n, N: n, K: n, Seed: 1, ChunkRows: 64}
			a, _ := workload.GemmA(p, 0, n)
			bm, _ := workload.GemmB(p)
			c := make([]float32, n*n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a, n, bm, n, 0, c, n)
			}
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkDenseReference is the naive single-threaded reference at 256³,
// for scale.
func BenchmarkDenseReference(b *testing.B) {
	const n = 256
	p := workload.GemmParams{M: n, N: n, K: n, Seed: 1, ChunkRows: 64}
	x, _ := workload.GemmA(p, 0, n)
	w, _ := workload.GemmBT(p)
	for i := 0; i < b.N; i++ {
		if _, err := (workload.Reference{}).Dense(context.Background(), x, n, n, w, nil, n, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
