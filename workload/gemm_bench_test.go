package workload_test

import (
	"context"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
)

// benchGemmBT has the Bᵀ shape of the gemm that motivated the parallel
// generator (N large, so serial stores stride K values apart), scaled down
// to 2^24 values (64 MiB).
var benchGemmBT = workload.GemmParams{M: 1, N: 32768, K: 512, Seed: 1, ChunkRows: 1}

// TestGemmBTOnCPUBackendMatchesSerial generates Bᵀ with the CPU backend's
// worker pool (one worker and every core) and compares it with the serial
// reference, bit for bit.
func TestGemmBTOnCPUBackendMatchesSerial(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB matrix")
	}
	want := workload.RefGemmBT(benchGemmBT)
	for _, b := range []*cpu.Backend{cpu.New(), {Workers: 1}, {Workers: 5}} {
		got, err := workload.GemmBTContext(context.Background(), b, benchGemmBT)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%d workers: value %d = %v, want %v", b.Workers, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkGemmBT generates benchGemmBT's Bᵀ with the serial reference (one
// stream step and one store K values past the last at a time: the generator
// before it went parallel), with GemmBT (memory order, this goroutine) and
// with GemmBTContext on the CPU backend (memory order, every core).
func BenchmarkGemmBT(b *testing.B) {
	p := benchGemmBT
	bytes := int64(p.N) * int64(p.K) * 4
	b.Run("serial", func(b *testing.B) {
		b.SetBytes(bytes)
		for i := 0; i < b.N; i++ {
			workload.RefGemmBT(p)
		}
	})
	b.Run("ordered", func(b *testing.B) {
		b.SetBytes(bytes)
		for i := 0; i < b.N; i++ {
			if _, err := workload.GemmBT(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(bytes)
		for i := 0; i < b.N; i++ {
			if _, err := workload.GemmBTContext(context.Background(), cpu.New(), p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
