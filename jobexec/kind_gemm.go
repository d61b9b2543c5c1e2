package jobexec

import (
	"context"
	"fmt"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// gemm-f32: C = A·B from seeded streams. It needs no source, serves nothing
// with its chunks and is verified by recomputing the chunk from the spec.
func init() {
	Register(Kind{
		Name: workload.KindGemm,
		Build: func(_ context.Context, spec computetypes.WorkloadSpec, _ uint64, _ Resolver) (workload.Job, error) {
			p, err := GemmParams(spec)
			if err != nil {
				return nil, err
			}
			return workload.NewGemmJob(p)
		},
		Verifier: verifyGemm,
		Work: func(job computetypes.Job) Work {
			if job.MulAdds > 0 { // the chain's sizing, recorded at creation
				return MulAddsWork(job)
			}
			g := job.Workload.Gemm // a spec not on chain: the same m·n·k
			if g == nil {
				return Work{}
			}
			return Work{GFLOP: 2 * float64(g.M) * float64(g.N) * float64(g.K) / 1e9}
		},
		Size: func(_ context.Context, job computetypes.Job, _ ProviderSource) (BidShape, error) {
			g := job.Workload.Gemm
			if g == nil {
				return BidShape{}, fmt.Errorf("%w: a %s job without its gemm spec", ErrUnsupported, workload.KindGemm)
			}
			// A chunk no verifier would recompute (ErrChunkTooLarge) is
			// not bid on: every sidecar would abstain and the job end
			// unpaid.
			if err := checkGemmChunk(workload.GemmParams{M: clampInt(g.M), N: clampInt(g.N), K: clampInt(g.K), ChunkRows: clampInt(job.Workload.ChunkRows)}); err != nil {
				return BidShape{}, err
			}
			// A (M×K) and Bᵀ (K×N) are drawn value by value on the host;
			// Bᵀ is held from the job's preparation (NewGemmJob), A while
			// it runs.
			a, bt := common.SatMul(g.M, g.K), common.SatMul(g.K, g.N)
			return BidShape{Rows: g.M, Cols: g.N, GFLOP: WorkOf(job).GFLOP,
				Generated: common.SatAdd(a, bt), HeldBytes: valuesBytes(g.K, g.N), ExecBytes: valuesBytes(g.M, g.K)}, nil
		},
	})
}

// verifyGemm recomputes a gemm-f32 chunk from the spec, once its Bᵀ and
// rows of A fit what a verifier holds (checkGemmChunk): refused before
// GemmJob.ComputeRows allocates them.
func verifyGemm(_ context.Context, pv computetypes.PendingVerification, _ VerifySource, b workload.Backend) (Recomputer, error) {
	p, err := GemmParams(pv.Workload)
	if err != nil {
		return Recomputer{}, err
	}
	if err := checkGemmChunk(p); err != nil {
		return Recomputer{}, err
	}
	job, err := workload.NewGemmJob(p)
	if err != nil {
		return Recomputer{}, err
	}
	return specRecomputer(job, b), nil
}

// GemmParams converts a gemm-f32 spec.
func GemmParams(spec computetypes.WorkloadSpec) (workload.GemmParams, error) {
	if spec.Kind != workload.KindGemm || spec.Gemm == nil {
		return workload.GemmParams{}, fmt.Errorf("%w: not a %s spec", ErrUnsupported, workload.KindGemm)
	}
	var p workload.GemmParams
	var err error
	if p.M, err = toInt("m", spec.Gemm.M); err != nil {
		return p, err
	}
	if p.N, err = toInt("n", spec.Gemm.N); err != nil {
		return p, err
	}
	if p.K, err = toInt("k", spec.Gemm.K); err != nil {
		return p, err
	}
	if p.ChunkRows, err = toInt("chunk_rows", spec.ChunkRows); err != nil {
		return p, err
	}
	p.Seed = spec.Gemm.Seed
	return p, p.Validate()
}
