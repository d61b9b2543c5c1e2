package jobexec

import (
	"context"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// FromSpec returns the workload of a job spec. A kind that needs a model or
// a dataset needs a Resolver; nil gives ErrUnsupported.
func FromSpec(ctx context.Context, spec computetypes.WorkloadSpec, r Resolver) (workload.Job, error) {
	return FromJob(ctx, spec, 0, r)
}

// FromJob is FromSpec for a job whose dataset version is fixed on chain
// (Job.dataset_version; 0: the current version).
func FromJob(ctx context.Context, spec computetypes.WorkloadSpec, datasetVersion uint64, r Resolver) (workload.Job, error) {
	k, err := lookup(spec.Kind)
	if err != nil {
		return nil, err
	}
	if k.Needs.any() && r == nil {
		return nil, needsError(k)
	}
	return k.Build(ctx, spec, datasetVersion, r)
}

// WorkOf returns a job's work, for pricing (none for a kind not in the
// table).
func WorkOf(job computetypes.Job) Work {
	k, ok := Lookup(job.Workload.Kind)
	if !ok || k.Work == nil {
		return Work{}
	}
	return k.Work(job)
}

// GFLOP returns the floating-point work of a job in 10^9 operations (a
// multiply and an add per term), for pricing.
func GFLOP(spec computetypes.WorkloadSpec) float64 {
	return WorkOf(computetypes.Job{Workload: spec}).GFLOP
}

// ServedOf returns what a provider keeps of an executed job to serve its
// chunks.
func ServedOf(job computetypes.Job) Served {
	k, ok := Lookup(job.Workload.Kind)
	if !ok || k.Served == nil {
		return Served{Kind: job.Workload.Kind}
	}
	return k.Served(job)
}

// ServeChunk builds the response for output chunk i of an executed job: the
// chunk with its proof in the job's tree, and what the job's kind serves
// with it (from src, nil when the agent has none). A *ServeError says what
// to answer.
func ServeChunk(ctx context.Context, jobID uint64, s Served, tree *merkle.Tree, i int, data []byte, src InputSource) (ChunkResponse, error) {
	resp, err := NewChunkResponse(jobID, tree, i, data)
	if err != nil {
		return ChunkResponse{}, err
	}
	k, err := lookup(s.Kind)
	if err != nil {
		return ChunkResponse{}, err
	}
	if k.Serve != nil {
		if err := k.Serve(ctx, s, src, &resp); err != nil {
			return ChunkResponse{}, err
		}
	}
	return resp, nil
}

// NewRecomputer prepares the check of a job under verification through its
// kind's row. src is nil when the verifier has no source of models and
// datasets; a kind that needs one is then refused with ErrUnsupported.
func NewRecomputer(ctx context.Context, pv computetypes.PendingVerification, src VerifySource, b workload.Backend) (Recomputer, error) {
	k, err := lookup(pv.Workload.Kind)
	if err != nil {
		return Recomputer{}, err
	}
	if k.Needs.any() && src == nil {
		return Recomputer{}, needsError(k)
	}
	if k.Verifier != nil {
		return k.Verifier(WithModelURI(ctx, pv.ModelUri), pv, src, b)
	}
	job, err := FromJob(ctx, pv.Workload, pv.DatasetVersion, nil)
	if err != nil {
		return Recomputer{}, err
	}
	return specRecomputer(job, b), nil
}

// specRecomputer checks a chunk that carries no material beside its bytes by
// recomputing it from job, a workload that follows from the spec alone.
func specRecomputer(job workload.Job, b workload.Backend) Recomputer {
	return Recomputer{
		Check: func(ChunkResponse) error { return nil },
		Recompute: func(ctx context.Context, resp ChunkResponse) ([]byte, error) {
			return workload.ComputeChunk(ctx, job, b, int(resp.Index))
		},
	}
}

// CheckInputs checks, for an aborted job's input check, that its model loads
// and runs on its inputs (ds: the dataset version's record, nil without a
// dataset) through its kind's row: ErrUnsupported for a kind not in the
// table.
func CheckInputs(ctx context.Context, pv computetypes.PendingVerification, src VerifySource, ds *datamarkettypes.Dataset) error {
	k, err := lookup(pv.Workload.Kind)
	if err != nil {
		return err
	}
	if k.CheckInputs == nil || pv.ModelId == 0 {
		return nil
	}
	if src == nil {
		return needsError(k)
	}
	return k.CheckInputs(WithModelURI(ctx, pv.ModelUri), pv, src, ds)
}

// MulAddsWork is the work of a job whose kind the chain sizes: its mul_adds
// (x/compute's one notion of a job's work, the one max_work_per_exec_block
// admits), two floating-point operations each.
func MulAddsWork(job computetypes.Job) Work {
	return Work{GFLOP: 2 * float64(job.MulAdds) / 1e9}
}
