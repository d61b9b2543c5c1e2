package keeper_test

import (
	"context"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// kindToy is a kind that exists only in this test binary, added through the
// workload table alone: it reuses the gemm sub-message, and its output is
// every row of C twice (rows = 2m, cols = n).
const kindToy = "toy-f32"

func init() {
	types.RegisterKind(types.WorkloadKind{
		Name: kindToy,
		Spec: types.SpecGemm,
		Validate: func(w types.WorkloadSpec) (uint64, error) {
			if w.Gemm.M == 0 || w.Gemm.N == 0 || w.Gemm.K == 0 {
				return 0, types.ErrInvalidWorkload.Wrap("toy needs m, n and k")
			}
			return 2 * w.Gemm.M, nil
		},
		Resolve: func(_ context.Context, _ types.KindState, w types.WorkloadSpec, _ string) (types.JobTerms, error) {
			g := w.Gemm
			return types.JobTerms{Shape: types.WorkloadShape{Rows: 2 * g.M, Cols: g.N, MulAdds: g.M * g.N * g.K}}, nil
		},
		MaxRows: 1_000,
	})
}

// TestToyKindThroughTheTable registers a provider for the toy kind and runs a
// toy job from creation to settlement through the keeper, with no code for
// the kind outside its row.
func TestToyKindThroughTheTable(t *testing.T) {
	s := newSuite(t)
	req, toyProv, gemmProv := s.acc(0), s.acc(1), s.acc(2)
	hw := gpuHW()
	hw.Workloads = []string{kindToy}
	if _, err := s.ms.RegisterProvider(s.ta.Ctx, &types.MsgRegisterProvider{
		Operator: toyProv.String(), Moniker: "toy", Endpoint: "http://127.0.0.1:8091", Hardware: hw, Bond: coin(1_000_000),
	}); err != nil {
		t.Fatalf("a provider listing the toy kind: %v", err)
	}
	s.register(gemmProv, 1_000_000)

	toy := func(m uint64) *types.MsgCreateJob {
		msg := s.createMsg(req, 10_000)
		msg.Workload = types.WorkloadSpec{Kind: kindToy, Gemm: &types.GemmSpec{M: m, N: 3, K: 2}, ChunkRows: 4}
		return msg
	}
	// The table's checks apply to the toy kind: the sub-message, its
	// Validate, its row limit.
	sn := s.snap(req)
	for name, msg := range map[string]*types.MsgCreateJob{
		"mlp set too": func() *types.MsgCreateJob {
			m := toy(10)
			m.Workload.Mlp = &types.MlpSpec{ModelId: 1, DatasetId: 1}
			return m
		}(),
		"m = 0":    toy(0),
		"over max": toy(501),
	} {
		_, err := s.ms.CreateJob(s.ta.Ctx, msg)
		if !types.ErrInvalidWorkload.Is(err) {
			t.Fatalf("%s: got %v, want ErrInvalidWorkload", name, err)
		}
	}
	s.unchanged(sn, req)

	before := s.bal(req)
	res, err := s.ms.CreateJob(s.ta.Ctx, toy(10))
	if err != nil {
		t.Fatal(err)
	}
	s.inv()
	id := res.JobId
	if j := s.job(id); j.Rows != 20 || j.ExpectedChunkCount != 5 || !j.Escrow.Equal(sdk.NewCoins(coin(10_000))) {
		t.Fatalf("toy job: rows %d chunks %d escrow %s, want 20, 5 and 10000%s", j.Rows, j.ExpectedChunkCount, j.Escrow, denom)
	}
	if got := before.Sub(s.bal(req)); !got.Equal(math.NewInt(10_000)) {
		t.Fatalf("escrowed %s", got)
	}
	// A provider that lists only gemm-f32 does not meet a toy job.
	_, err = s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{
		Provider: gemmProv.String(), JobId: id, Commitment: types.BidCommitment(id, gemmProv.String(), coin(3_000), salt(gemmProv)),
	})
	wantErr(t, err, types.ErrHardwareMismatch)

	s.commit(toyProv, id, 3_000)
	s.next(3)
	if err := s.reveal(toyProv, id, 3_000); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_ASSIGNED, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: toyProv.String(), JobId: id, OutputRoot: root32, ChunkCount: 5}); err != nil {
		t.Fatal(err)
	}
	s.next(5) // drawn (unsampled at floor 0), then the challenge window ends
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	if got := before.Sub(s.bal(req)); !got.Equal(math.NewInt(10_000)) {
		t.Fatalf("requester paid %s, want max_price 10000 (the only bidder)", got)
	}
}
