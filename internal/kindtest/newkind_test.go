package kindtest

import (
	"bytes"
	"context"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	computekeeper "github.com/aichain/aichain/x/compute/keeper"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// This file is what README's "Adding a workload kind" describes, done in a
// test: a self-contained kind, "double-gemm-f32" (2·A·B, reading the gemm
// sub-message), added with one workload type and one row in each table, and
// no other code: the chain creates its jobs, the agents run and verify them.
const kindDouble = "double-gemm-f32"

// doubleJob is the kind's workload: the gemm of the spec, every value
// doubled (exact in float32, so every backend gives the same bits).
type doubleJob struct{ gemm *workload.GemmJob }

func (j doubleJob) Kind() string   { return kindDouble }
func (j doubleJob) Rows() int      { return j.gemm.Rows() }
func (j doubleJob) Cols() int      { return j.gemm.Cols() }
func (j doubleJob) ChunkRows() int { return j.gemm.ChunkRows() }
func (j doubleJob) ComputeRows(ctx context.Context, b workload.Backend, r0, r1 int) ([]float32, error) {
	y, err := j.gemm.ComputeRows(ctx, b, r0, r1)
	for i := range y {
		y[i] *= 2
	}
	return y, err
}

func gemmParams(spec computetypes.WorkloadSpec) workload.GemmParams {
	g := spec.Gemm
	return workload.GemmParams{M: int(g.M), N: int(g.N), K: int(g.K), Seed: g.Seed, ChunkRows: int(spec.ChunkRows)}
}

func init() {
	// The chain's row: stateless like gemm-f32, rows m, cols n.
	computetypes.RegisterKind(computetypes.WorkloadKind{
		Name: kindDouble, Spec: computetypes.SpecGemm, MaxRows: 1 << 20,
		Validate: func(w computetypes.WorkloadSpec) (uint64, error) {
			if err := gemmParams(w).Validate(); err != nil {
				return 0, computetypes.ErrInvalidWorkload.Wrap(err.Error())
			}
			return w.Gemm.M, nil
		},
		Resolve: func(_ context.Context, _ computetypes.KindState, w computetypes.WorkloadSpec, _ string) (computetypes.JobTerms, error) {
			g := w.Gemm
			return computetypes.JobTerms{Shape: computetypes.WorkloadShape{Rows: g.M, Cols: g.N, MulAdds: g.M * g.N * g.K}}, nil
		},
	})
	// The agents' row: how to build it and what it costs; no inputs to fetch
	// or serve, so a verifier recomputes from the spec.
	build := func(_ context.Context, spec computetypes.WorkloadSpec, _ uint64, _ jobexec.Resolver) (workload.Job, error) {
		g, err := workload.NewGemmJob(gemmParams(spec))
		if err != nil {
			return nil, err
		}
		return doubleJob{gemm: g}, nil
	}
	jobexec.Register(jobexec.Kind{
		Name:  kindDouble,
		Build: build,
		Work: func(j computetypes.Job) jobexec.Work {
			g := j.Workload.Gemm
			return jobexec.Work{GFLOP: 2 * float64(g.M) * float64(g.N) * float64(g.K) / 1e9}
		},
		// What a provider weighs before it bids: without this row the
		// provider agent does not bid on the kind.
		Size: func(_ context.Context, j computetypes.Job, _ jobexec.ProviderSource) (jobexec.BidShape, error) {
			g := j.Workload.Gemm
			return jobexec.BidShape{Rows: g.M, Cols: g.N, GFLOP: jobexec.WorkOf(j).GFLOP}, nil
		},
		Verifier: func(ctx context.Context, pv computetypes.PendingVerification, _ jobexec.VerifySource, b workload.Backend) (jobexec.Recomputer, error) {
			job, err := build(ctx, pv.Workload, 0, nil)
			if err != nil {
				return jobexec.Recomputer{}, err
			}
			return jobexec.Recomputer{
				Check: func(jobexec.ChunkResponse) error { return nil },
				Recompute: func(ctx context.Context, resp jobexec.ChunkResponse) ([]byte, error) {
					return workload.ComputeChunk(ctx, job, b, int(resp.Index))
				},
			}, nil
		},
	})
}

// TestNewKindThroughBothTables creates a double-gemm-f32 job on the chain
// (escrow, rows and chunk count from the chain's row), lets a provider that
// advertises the kind bid, and runs the on-chain job through the agents'
// table: build, execute, serve each chunk with its proof, verify and
// recompute it as a sidecar does.
func TestNewKindThroughBothTables(t *testing.T) {
	ta := apptesting.Setup(t, 3)
	ms := computekeeper.NewMsgServerImpl(ta.ComputeKeeper)
	params, err := ta.ComputeKeeper.Params.Get(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	requester, provider := ta.Accounts[0], ta.Accounts[1]
	if got := jobexec.Runnable(jobexec.Needs{}); !contains(got, kindDouble) {
		t.Fatalf("the agents' table offers %v: the new kind is missing", got)
	}
	_, err = ms.RegisterProvider(ta.Ctx, &computetypes.MsgRegisterProvider{
		Operator: provider.String(), Moniker: "double", Endpoint: "http://127.0.0.1:8091",
		Hardware: computetypes.Hardware{GpuModel: "cpu", Workloads: jobexec.Runnable(jobexec.Needs{})},
		Bond:     sdk.NewCoin(params.MinProviderBond.Denom, params.MinProviderBond.Amount.MulRaw(10)),
	})
	if err != nil {
		t.Fatalf("a provider advertising the agents' kinds: %v", err)
	}
	spec := computetypes.WorkloadSpec{Kind: kindDouble, Gemm: &computetypes.GemmSpec{M: 37, N: 9, K: 11, Seed: 5}, ChunkRows: 8}
	maxPrice := sdk.NewCoin(params.MinProviderBond.Denom, math.NewInt(5_000))
	res, err := ms.CreateJob(ta.Ctx, &computetypes.MsgCreateJob{
		Requester: requester.String(), Workload: spec, MaxPrice: maxPrice,
		CommitBlocks: params.MinCommitBlocks, RevealBlocks: params.MinRevealBlocks, ExecBlocks: params.MaxExecBlocks,
	})
	if err != nil {
		t.Fatalf("create a %s job: %v", kindDouble, err)
	}
	job, err := ta.ComputeKeeper.GetJob(ta.Ctx, res.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if job.Rows != 37 || job.ExpectedChunkCount != 5 || !job.Escrow.Equal(sdk.NewCoins(maxPrice)) {
		t.Fatalf("job rows %d, chunks %d, escrow %s; want 37, 5, %s", job.Rows, job.ExpectedChunkCount, job.Escrow, maxPrice)
	}
	salt := bytes.Repeat([]byte{7}, 32)
	bid := sdk.NewCoin(maxPrice.Denom, math.NewInt(1_000))
	if _, err := ms.CommitBid(ta.Ctx, &computetypes.MsgCommitBid{
		Provider: provider.String(), JobId: job.Id, Commitment: computetypes.BidCommitment(job.Id, provider.String(), bid, salt),
	}); err != nil {
		t.Fatalf("the provider's bid on the new kind: %v", err)
	}
	if w := jobexec.WorkOf(job); w.GFLOP <= 0 {
		t.Fatalf("the agents' table prices the job at %+v", w)
	}
	if s, err := jobexec.SizeOf(context.Background(), job, nil); err != nil || s.Rows != 37 || s.Cols != 9 || s.GFLOP <= 0 {
		t.Fatalf("the agents' table sizes the job for a bid at %+v (%v)", s, err)
	}

	ctx := context.Background()
	w, err := jobexec.FromJob(ctx, job.Workload, job.DatasetVersion, nil)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := workload.ComputeChunks(ctx, w, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(chunks)) != job.ExpectedChunkCount {
		t.Fatalf("the agents made %d chunks, the chain expects %d", len(chunks), job.ExpectedChunkCount)
	}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	pv := computetypes.PendingVerification{JobId: job.Id, Workload: job.Workload, OutputRoot: root[:], ChunkCount: job.ExpectedChunkCount}
	rc, err := jobexec.NewRecomputer(ctx, pv, nil, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range chunks {
		resp, err := jobexec.ServeChunk(ctx, job.Id, jobexec.ServedOf(job), tree, i, chunks[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.Verify(root[:], job.ExpectedChunkCount, uint64(i)); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if err := rc.Check(resp); err != nil {
			t.Fatal(err)
		}
		again, err := rc.Recompute(ctx, resp)
		if err != nil || !bytes.Equal(again, resp.Data) {
			t.Fatalf("chunk %d: the verifier's recomputation differs (%v)", i, err)
		}
	}
	// Doubled: the first value is twice the plain gemm's.
	plain, err := workload.NewGemmJob(gemmParams(spec))
	if err != nil {
		t.Fatal(err)
	}
	first, err := workload.ComputeChunk(ctx, plain, workload.Reference{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	pv0, _ := workload.DecodeFloats(first)
	dv0, _ := workload.DecodeFloats(chunks[0])
	if dv0[0] != 2*pv0[0] {
		t.Fatalf("the new kind's first value is %v, want 2 × %v", dv0[0], pv0[0])
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
