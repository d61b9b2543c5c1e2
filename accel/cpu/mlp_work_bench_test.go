package cpu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aichain/aichain/workload"
)

// BenchmarkMLPWorkPerChargedUnit runs chunk 0 of an mlp-f32 job of four
// 1024 × 1024 layers (16 MiB of weights each) in chunks of 1 row and of 64
// rows, against a gemm of the same charged work (workload.MLPWork), and
// reports the time per charged multiply-add of each and their ratio
// (mlp/gemm): a chunk of one row is a matrix-vector product a layer, which
// reads every weight for one row.
func BenchmarkMLPWorkPerChargedUnit(b *testing.B) {
	const width, layers, rows = 1024, 4, 64
	r := rand.New(rand.NewPCG(1, 2))
	m := &workload.Model{}
	widths := []uint64{width}
	for i := 0; i < layers; i++ {
		l := workload.Layer{In: width, Out: width, Weight: make([]float32, width*width), Bias: make([]float32, width)}
		for j := range l.Weight {
			l.Weight[j] = float32(r.NormFloat64()) / 32
		}
		m.Layers = append(m.Layers, l)
		widths = append(widths, width)
	}
	data := &workload.Matrix{Rows: rows, Cols: width, Data: make([]float32, rows*width)}
	for j := range data.Data {
		data.Data[j] = float32(r.NormFloat64())
	}
	for _, chunkRows := range []int{1, rows} {
		b.Run(fmt.Sprintf("chunk-rows-%d", chunkRows), func(b *testing.B) {
			job, err := workload.NewMLPJob(m, data, chunkRows)
			if err != nil {
				b.Fatal(err)
			}
			_, charged := workload.MLPWork(workload.MLPRowMulAdds(widths), layers, rows, uint64(chunkRows))
			perMLP, perGemm := benchAgainstGemm(b, job, charged)
			b.ReportMetric(perMLP, "mlp-ns/unit")
			b.ReportMetric(perGemm, "gemm-ns/unit")
			b.ReportMetric(perMLP/perGemm, "mlp/gemm")
		})
	}
}

// BenchmarkGemmOneRowChunkPerChargedUnit runs chunk 0 of a gemm-f32 job of
// K = N = 1024 in chunks of 1 row and of 64 rows, each charged its products
// (rows·N·K), against a 256-wide gemm of the same charged work: a chunk of
// one row is a matrix-vector product that reads all of Bᵀ (4 MiB) for one
// row (docs/open-attacks.md, "One-row gemm chunks").
func BenchmarkGemmOneRowChunkPerChargedUnit(b *testing.B) {
	const k, n, rows = 1024, 1024, 64
	for _, chunkRows := range []int{1, rows} {
		b.Run(fmt.Sprintf("chunk-rows-%d", chunkRows), func(b *testing.B) {
			job, err := workload.NewGemmJob(workload.GemmParams{M: rows, N: n, K: k, ChunkRows: chunkRows, Seed: 3})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := workload.ComputeChunk(context.Background(), job, New(), 0); err != nil {
				b.Fatal(err) // Bᵀ generated once a job, outside the timing
			}
			perGemm1, perGemm := benchAgainstGemm(b, job, uint64(chunkRows*n*k))
			b.ReportMetric(perGemm1, "chunk-ns/unit")
			b.ReportMetric(perGemm, "gemm-ns/unit")
			b.ReportMetric(perGemm1/perGemm, "chunk/gemm")
		})
	}
}
