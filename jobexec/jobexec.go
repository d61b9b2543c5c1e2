// Package jobexec turns an on-chain compute job into work: the workload of a
// job's spec, and the chunk-with-proof format a provider serves and a
// verifier checks. The provider agent and the verifier sidecar share it, so
// that what one serves the other reads.
package jobexec

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
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

// ChunkResponse is the JSON body of GET /v1/jobs/{id}/chunks/{i}: the chunk's
// bytes (base64 in JSON) and its Merkle inclusion proof (hex siblings, leaf
// to root) against the job's output root.
type ChunkResponse struct {
	JobID      uint64   `json:"job_id"`
	Index      uint64   `json:"index"`
	ChunkCount uint64   `json:"chunk_count"`
	OutputRoot string   `json:"output_root"`
	Data       []byte   `json:"data"`
	Proof      []string `json:"proof"`
	// Inputs (mlp-f32 only) are the dataset chunks that cover this output
	// chunk's rows, in order, each with its proof against the dataset's
	// content_root in a tree of InputChunkCount leaves.
	Inputs          []InputChunk `json:"inputs,omitempty"`
	InputChunkCount uint64       `json:"input_chunk_count,omitempty"`
}

// NewChunkResponse builds the response for chunk i of a tree.
func NewChunkResponse(jobID uint64, tree *merkle.Tree, i int, data []byte) (ChunkResponse, error) {
	p, err := tree.Proof(i)
	if err != nil {
		return ChunkResponse{}, err
	}
	root := tree.Root()
	resp := ChunkResponse{
		JobID: jobID, Index: uint64(i), ChunkCount: uint64(tree.Len()),
		OutputRoot: hex.EncodeToString(root[:]), Data: data,
	}
	for _, s := range p.Slices() {
		resp.Proof = append(resp.Proof, hex.EncodeToString(s))
	}
	return resp, nil
}

// Verify checks the chunk against the on-chain root and chunk count: the
// proof must lead from this chunk at this index to that root.
func (r ChunkResponse) Verify(root []byte, chunkCount, index uint64) error {
	if r.Index != index {
		return fmt.Errorf("served chunk %d, asked for %d", r.Index, index)
	}
	if len(root) != len(merkle.Hash{}) {
		return fmt.Errorf("on-chain root has %d bytes", len(root))
	}
	siblings := make([][]byte, len(r.Proof))
	for i, s := range r.Proof {
		b, err := hex.DecodeString(s)
		if err != nil {
			return fmt.Errorf("proof sibling %d: %w", i, err)
		}
		siblings[i] = b
	}
	proof, err := merkle.ProofFromSlices(siblings)
	if err != nil {
		return err
	}
	var h merkle.Hash
	copy(h[:], root)
	return merkle.Verify(h, index, chunkCount, r.Data, proof)
}
