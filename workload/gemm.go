package workload

import (
	"context"
	"fmt"
)

// KindGemm is the gemm-f32 workload kind.
const KindGemm = "gemm-f32"

// GemmParams are the parameters of a gemm-f32 job: C (M×N) = A (M×K) · B (K×N).
type GemmParams struct {
	M         int    `json:"m"`
	N         int    `json:"n"`
	K         int    `json:"k"`
	Seed      uint64 `json:"seed"`
	ChunkRows int    `json:"chunk_rows"`
}

// Validate checks that all sizes are positive and every matrix has at most
// MaxDenseElements elements.
func (p GemmParams) Validate() error {
	if p.M < 1 || p.N < 1 || p.K < 1 || p.ChunkRows < 1 {
		return fmt.Errorf("%w: gemm m=%d n=%d k=%d chunk_rows=%d must be positive", ErrInvalidParams, p.M, p.N, p.K, p.ChunkRows)
	}
	for _, d := range [][2]int{{p.M, p.K}, {p.K, p.N}, {p.M, p.N}} {
		if d[0] > MaxDenseElements/d[1] {
			return fmt.Errorf("%w: gemm matrix %d×%d exceeds %d elements", ErrInvalidParams, d[0], d[1], MaxDenseElements)
		}
	}
	return nil
}

// GemmA returns rows [r0, r1) of A, row-major. Row r starts at value index
// r·K of A's stream, reached in O(1).
func GemmA(p GemmParams, r0, r1 int) ([]float32, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if r0 < 0 || r1 > p.M || r0 >= r1 {
		return nil, fmt.Errorf("%w: A rows [%d, %d) of %d", ErrShape, r0, r1, p.M)
	}
	a := make([]float32, (r1-r0)*p.K)
	g := SplitMix64{State: p.Seed + uint64(r0)*uint64(p.K)*SplitMixGamma}
	for i := range a {
		a[i] = UnitFloat(g.Next())
	}
	return a, nil
}

// GemmB returns B (K×N), row-major.
func GemmB(p GemmParams) ([]float32, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := make([]float32, p.K*p.N)
	g := SplitMix64{State: p.Seed ^ GemmBSeedXor}
	for i := range b {
		b[i] = UnitFloat(g.Next())
	}
	return b, nil
}

// GemmBT returns Bᵀ (N×K), row-major: the Dense weight of the gemm.
func GemmBT(p GemmParams) ([]float32, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	bt := make([]float32, p.K*p.N)
	g := SplitMix64{State: p.Seed ^ GemmBSeedXor}
	for i := 0; i < p.K; i++ {
		for o := 0; o < p.N; o++ {
			bt[o*p.K+i] = UnitFloat(g.Next())
		}
	}
	return bt, nil
}

// GemmJob is a gemm-f32 job with Bᵀ generated once, so that many chunks can
// be computed without regenerating it.
type GemmJob struct {
	p  GemmParams
	bt []float32
}

var _ Job = (*GemmJob)(nil)

// NewGemmJob validates p and generates Bᵀ.
func NewGemmJob(p GemmParams) (*GemmJob, error) {
	bt, err := GemmBT(p)
	if err != nil {
		return nil, err
	}
	return &GemmJob{p: p, bt: bt}, nil
}

// Params returns the job's parameters.
func (j *GemmJob) Params() GemmParams { return j.p }

// Kind returns KindGemm.
func (j *GemmJob) Kind() string { return KindGemm }

// Rows returns M.
func (j *GemmJob) Rows() int { return j.p.M }

// Cols returns N.
func (j *GemmJob) Cols() int { return j.p.N }

// ChunkRows returns the chunk size in rows.
func (j *GemmJob) ChunkRows() int { return j.p.ChunkRows }

// ComputeRows computes rows [r0, r1) of C, generating only those rows of A.
func (j *GemmJob) ComputeRows(ctx context.Context, b Backend, r0, r1 int) ([]float32, error) {
	if err := checkRowRange(j, r0, r1); err != nil {
		return nil, err
	}
	a, err := GemmA(j.p, r0, r1)
	if err != nil {
		return nil, err
	}
	return b.Dense(ctx, a, r1-r0, j.p.K, j.bt, nil, j.p.N, false)
}
