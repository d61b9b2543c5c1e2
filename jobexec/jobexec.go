// Package jobexec turns an on-chain compute job into work: the workload of a
// job's spec, and the chunk-with-proof format a provider serves and a
// verifier checks. The provider agent and the verifier sidecar share it, so
// that what one serves the other reads.
package jobexec

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// ErrUnsupported is a workload this agent cannot run.
var ErrUnsupported = errors.New("unsupported workload")

// Resolver supplies the model and dataset of an mlp-f32 job.
type Resolver interface {
	Model(ctx context.Context, modelID uint64) (*workload.Model, error)
	// Dataset returns a version of a dataset (0: the current one).
	Dataset(ctx context.Context, datasetID, version uint64) (*workload.Matrix, error)
}

func toInt(name string, v uint64) (int, error) {
	if v > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %s=%d is too large", workload.ErrInvalidParams, name, v)
	}
	return int(v), nil
}

// GemmParams converts a gemm-f32 spec.
func GemmParams(spec computetypes.WorkloadSpec) (workload.GemmParams, error) {
	if spec.Kind != workload.KindGemm || spec.Gemm == nil {
		return workload.GemmParams{}, fmt.Errorf("%w: not a gemm-f32 spec", ErrUnsupported)
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

// FromSpec returns the workload of a job spec. An mlp-f32 spec needs a
// Resolver; nil gives ErrUnsupported.
func FromSpec(ctx context.Context, spec computetypes.WorkloadSpec, r Resolver) (workload.Job, error) {
	return FromJob(ctx, spec, 0, r)
}

// FromJob is FromSpec for a job whose mlp dataset version is fixed on chain
// (Job.dataset_version; 0: the current version).
func FromJob(ctx context.Context, spec computetypes.WorkloadSpec, datasetVersion uint64, r Resolver) (workload.Job, error) {
	switch spec.Kind {
	case workload.KindGemm:
		p, err := GemmParams(spec)
		if err != nil {
			return nil, err
		}
		return workload.NewGemmJob(p)
	case workload.KindMLP:
		if r == nil || spec.Mlp == nil {
			return nil, fmt.Errorf("%w: mlp-f32 needs a model and dataset source", ErrUnsupported)
		}
		chunkRows, err := toInt("chunk_rows", spec.ChunkRows)
		if err != nil {
			return nil, err
		}
		model, err := r.Model(ctx, spec.Mlp.ModelId)
		if err != nil {
			return nil, fmt.Errorf("model %d: %w", spec.Mlp.ModelId, err)
		}
		data, err := r.Dataset(ctx, spec.Mlp.DatasetId, datasetVersion)
		if err != nil {
			return nil, fmt.Errorf("dataset %d: %w", spec.Mlp.DatasetId, err)
		}
		return workload.NewMLPJob(model, data, chunkRows)
	}
	return nil, fmt.Errorf("%w: kind %q", ErrUnsupported, spec.Kind)
}

// GFLOP returns the work of a job in 10^9 floating-point operations (a
// multiply and an add per term), for pricing.
func GFLOP(spec computetypes.WorkloadSpec) float64 {
	if spec.Kind == workload.KindGemm && spec.Gemm != nil {
		return 2 * float64(spec.Gemm.M) * float64(spec.Gemm.N) * float64(spec.Gemm.K) / 1e9
	}
	return 0
}
