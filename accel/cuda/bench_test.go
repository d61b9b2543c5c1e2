package cuda

import (
	"context"
	"fmt"
	"testing"

	"github.com/aichain/aichain/workload"
)

// BenchmarkGemm measures C = A·B (n×n×n) on the device, including the
// host↔device copies, in GFLOP/s. Skips without a CUDA device.
func BenchmarkGemm(b *testing.B) {
	be := openDevice(b)
	for _, n := range []int{512, 2048} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			p := workload.GemmParams{M: n, N: n, K: n, Seed: 1, ChunkRows: 64}
			x, _ := workload.GemmA(p, 0, n)
			w, _ := workload.GemmBT(p)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := be.Dense(context.Background(), x, n, n, w, nil, n, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
