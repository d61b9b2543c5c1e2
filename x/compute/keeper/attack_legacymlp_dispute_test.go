package keeper_test

import (
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackPreUpgradeMLPJobDisputesEveryChunk: hostile is a requester
// whose mlp-f32 job is live at the v3-verification upgrade, on a model the
// old release registered without layer widths, so the job's mul_adds is 0
// (the old release recorded none and Migrate1to2's specWork gives 0 for
// mlp). The honest provider runs it (20 chunks of 1,000 rows, 8→4096→2048→4)
// and submits. In the challenge window the requester disputes
// max_dispute_chunks chunks: the dispute bound (AdmitDispute) sees 0 work
// and accepts, so every sidecar must recompute 20 chunks, 3.4× the
// verification budget; no quorum comes, the job ends INCONCLUSIVE, the
// requester gets its escrow and dispute fee back and the honest provider is
// unpaid. The same dispute on the same job recorded after the upgrade is
// refused (TestAttackDisputeMakesAnMLPVerificationUndoable). Honest
// outcome: ErrDisputeTooLarge, no fee taken.
func TestAttackPreUpgradeMLPJobDisputesEveryChunk(t *testing.T) {
	s, p := s0(t)
	req, prov := s.acc(0), s.acc(1)
	id, chunk := s.legacyMLPSubmitted(req, prov)
	budget := p.MaxWorkPerExecBlock * p.VerificationBlocks
	if st := s.job(id).State; st != types.JobState_JOB_STATE_SUBMITTED {
		t.Fatalf("setup: job %s, want SUBMITTED", st)
	}
	indices := make([]uint64, p.MaxDisputeChunks)
	for i := range indices {
		indices[i] = uint64(i)
	}
	before := s.bal(req)
	_, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, ChunkIndices: indices})
	if err == nil {
		checked := uint64(min(len(indices)+int(p.SamplesPerJob), 20))
		t.Fatalf("dispute of %d chunks on the pre-upgrade job (mul_adds %d) accepted, fee %s taken: sidecars must recompute %d chunks = %d multiply-adds, budget %d per window (%d with its extension)",
			len(indices), s.job(id).MulAdds, before.Sub(s.bal(req)), checked, checked*chunk, budget, 2*budget)
	}
	if !errors.Is(err, types.ErrDisputeTooLarge) {
		t.Fatalf("the oversized dispute: %v, want ErrDisputeTooLarge", err)
	}
	if got := s.bal(req); !got.Equal(before) {
		t.Fatalf("the refused dispute moved the requester's balance %s → %s", before, got)
	}
	// The remedy left: a dispute of the sampled chunks, for the fee.
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id}); err != nil {
		t.Fatalf("a dispute naming no chunk: %v", err)
	}
	if paid := before.Sub(s.bal(req)); !paid.Equal(p.DisputeFee.Amount) {
		t.Fatalf("the dispute of the sampled chunks cost %s, want the dispute fee %s", paid, p.DisputeFee.Amount)
	}
}

// legacyMLPSubmitted is req's mlp-f32 job (20 chunks of 1,000 rows,
// 8→4096→2048→4) as the release before v3-verification left it: its model
// without layer widths, the job without recorded work (mul_adds 0), won by
// prov and its result submitted, its sample decided. It returns the job
// and the multiply-adds of one chunk.
func (s *suite) legacyMLPSubmitted(req, prov sdk.AccAddress) (uint64, uint64) {
	s.t.Helper()
	t := s.t
	work, chunk := workload.MLPWork(mrtypes.RowMulAdds([]uint64{8, 4096, 2048, 4}), 3, 20_000, 1000)
	model, dataset := s.wideMLPInputs(s.acc(2), []uint64{4096, 2048}, 20_000)
	hw := gpuHW()
	hw.Workloads = append(hw.Workloads, workload.KindMLP)
	_, err := s.ms.RegisterProvider(s.ta.Ctx, &types.MsgRegisterProvider{
		Operator: prov.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: hw, Bond: coin(verifyBond),
	})
	must(t, err)
	res, err := s.ms.CreateJob(s.ta.Ctx, s.wideMLPMsg(req, model, dataset, work, nil))
	must(t, err)
	id := res.JobId
	m, err := s.ta.ModelRegistryKeeper.GetModel(s.ta.Ctx, model)
	must(t, err)
	m.LayerWidths = nil
	must(t, s.ta.ModelRegistryKeeper.Models.Set(s.ta.Ctx, model, m))
	j := s.job(id)
	j.MulAdds = 0
	must(t, s.k.Jobs.Set(s.ta.Ctx, id, j))

	s.win(prov, id, verifyPrice)
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 20})
	must(t, err)
	for !s.job(id).Sample.Decided {
		s.next(1)
	}
	return id, chunk
}
