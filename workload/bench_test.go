package workload

import (
	"context"
	"testing"
)

// BenchmarkChunkEncode splits a 1024×1024 output into 16-row chunks.
func BenchmarkChunkEncode(b *testing.B) {
	const rows, cols = 1024, 1024
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = float32(i)
	}
	b.SetBytes(rows * cols * 4)
	for i := 0; i < b.N; i++ {
		if _, err := SplitChunks(v, rows, cols, 16); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGemmInputs generates A and Bᵀ of a 512³ gemm.
func BenchmarkGemmInputs(b *testing.B) {
	p := GemmParams{M: 512, N: 512, K: 512, Seed: 1, ChunkRows: 16}
	b.SetBytes(2 * 512 * 512 * 4)
	for i := 0; i < b.N; i++ {
		if _, err := GemmA(p, 0, p.M); err != nil {
			b.Fatal(err)
		}
		if _, err := GemmBT(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyChunkReference recomputes one 16-row chunk of a 512³ gemm
// with the naive reference backend (a verifier's cost per sampled chunk
// without the CPU backend).
func BenchmarkVerifyChunkReference(b *testing.B) {
	j, err := NewGemmJob(GemmParams{M: 512, N: 512, K: 512, Seed: 1, ChunkRows: 16})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ComputeChunk(context.Background(), j, Reference{}, i%32); err != nil {
			b.Fatal(err)
		}
	}
}
