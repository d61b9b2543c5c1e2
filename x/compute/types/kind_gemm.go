package types

import (
	"context"
	"math/rand"

	"github.com/aichain/aichain/workload"
)

func init() { RegisterKind(gemmKind()) }

// gemmKind is the gemm-f32 row: C (m×n) = A (m×k) · B (k×n), A and B filled
// from the spec's seed (workload.GemmParams). Everything follows from the
// spec: rows = m, cols = n, m·n·k multiply-adds. Each of m, n, k is at most
// 2^31 − 1 and each matrix at most workload.MaxDenseElements elements.
func gemmKind() WorkloadKind {
	return WorkloadKind{
		Name:       workload.KindGemm,
		Spec:       SpecGemm,
		Validate:   validateGemm,
		Resolve:    resolveGemm,
		MaxRows:    maxSize,
		RandomSpec: randomGemm,
	}
}

func validateGemm(w WorkloadSpec) (uint64, error) {
	g := w.Gemm
	if g.M > maxSize || g.N > maxSize || g.K > maxSize {
		return 0, ErrInvalidWorkload.Wrapf("gemm dimensions m=%d n=%d k=%d too large", g.M, g.N, g.K)
	}
	p := workload.GemmParams{M: int(g.M), N: int(g.N), K: int(g.K), Seed: g.Seed, ChunkRows: int(w.ChunkRows)}
	if err := p.Validate(); err != nil {
		return 0, ErrInvalidWorkload.Wrap(err.Error())
	}
	return g.M, nil
}

func resolveGemm(_ context.Context, _ KindState, w WorkloadSpec, _ string) (JobTerms, error) {
	g := w.Gemm
	return JobTerms{Shape: WorkloadShape{Rows: g.M, Cols: g.N, MulAdds: g.M * g.N * g.K,
		HeldValues: g.K * g.N, RowValues: g.K + g.N}}, nil
}

// randomGemm draws a small product: m in [1, 256], n and k in [1, 64], and
// chunk_rows in [1, m] (m, one chunk, when that would exceed maxChunks).
func randomGemm(r *rand.Rand, maxChunks uint64) WorkloadSpec {
	rows := uint64(1 + r.Intn(256))
	chunkRows := uint64(1 + r.Intn(int(rows)))
	if n, err := ChunkCountFor(rows, chunkRows); err != nil || n > maxChunks {
		chunkRows = rows // a single chunk always fits
	}
	return WorkloadSpec{
		Kind:      workload.KindGemm,
		Gemm:      &GemmSpec{M: rows, N: uint64(1 + r.Intn(64)), K: uint64(1 + r.Intn(64)), Seed: r.Uint64()},
		ChunkRows: chunkRows,
	}
}
