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

// BenchmarkParseWeights is what a model's load costs per hash of its
// weights file: a 2048×2048 mlp layer (16 MiB) parsed from bytes
// (ParseSafetensors: hash, then decode), from a file already checked
// (ParseCheckedSafetensors: decode only), and the sha256 alone. Before
// Checked, a verifier hashed a taken-down model's weights three times (its
// mirror, the resolver, the parser) and every other load twice.
func BenchmarkParseWeights(b *testing.B) {
	const n = 2048
	w := make([]float32, n*n)
	for i := range w {
		w[i] = float32(i%97) / 97
	}
	file, err := EncodeSafetensors(&Model{Layers: []Layer{{In: n, Out: n, Weight: w}}})
	if err != nil {
		b.Fatal(err)
	}
	sha := SHA256Hex(file)
	checked, err := CheckFile(file, sha)
	if err != nil {
		b.Fatal(err)
	}
	lim := Limits{MaxFileBytes: 1 << 30, MaxElements: 1 << 28}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"sha256", func() error { return CheckDigest(file, sha) }},
		{"parse-checked", func() error { _, err := ParseCheckedSafetensors(checked, lim); return err }},
		{"parse", func() error { _, err := ParseSafetensors(file, sha, lim); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			for i := 0; i < b.N; i++ {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
