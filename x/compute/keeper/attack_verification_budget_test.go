package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackMLPJobWithoutAssuranceSkipsTheVerificationBudget: hostile is a
// requester (alone, or with a provider of its own), or a provider that wins
// an honest requester's job. The layer-widths change records an mlp job's
// work so that "the exec window and the verification budget hold it as they
// hold gemm and gpt jobs", but the verification budget
// (max_work_per_exec_block × verification_blocks, admitVerificationWork) is
// only checked inside AdmitAssurance, which returns at once when no
// assurance is bought. A job without assurance is still verified, whenever
// it is sampled, on samples_per_job chunks (samplesFor), each up to 2^37
// multiply-adds. Here: a model 8→16384→8192→4 (134,381,568 multiply-adds
// a row, 512 MiB of weights), 4,000 rows in chunks of 1,000: the chain
// refuses the job when assurance buys the minimum 4 samples (the sampled
// work 5.4·10^11 is over the 5·10^10 budget at the default params) but
// admits the same job with no assurance, whose verification samples the
// same 4 chunks. Every validator's sidecar is then asked for ~11× the work
// the chain budgets, the verdict is inconclusive, and the provider is
// never slashed for whatever it submitted (a cheater on such jobs is
// paid when unsampled and unpunished when sampled). Correct behaviour: the
// job is refused at creation whatever its assurance, since its default
// verification (samples_per_job chunks) does not fit the budget: now it is
// (ErrInvalidAssurance), and the requester keeps its balance to the coin.
func TestAttackMLPJobWithoutAssuranceSkipsTheVerificationBudget(t *testing.T) {
	s, p := s0(t)
	req := s.acc(0)
	// The chain's charge (workload.MLPWork): products and outputs a row,
	// and a kernel call a layer a chunk.
	work, chunkWork := workload.MLPWork(mrtypes.RowMulAdds([]uint64{8, 16384, 8192, 4}), 3, 4000, 1000)
	model, dataset := s.wideMLPInputs(s.acc(2), []uint64{16384, 8192}, 4000)
	msg := func(a *types.Assurance) *types.MsgCreateJob {
		return s.wideMLPMsg(req, model, dataset, work, a)
	}
	budget := p.MaxWorkPerExecBlock * p.VerificationBlocks
	sampled := uint64(p.SamplesPerJob) * chunkWork
	t.Logf("verification of %d chunks of 1000 rows: %d multiply-adds, budget %d (%.1f×)",
		p.SamplesPerJob, sampled, budget, float64(sampled)/float64(budget))

	// The chain's own rule: these 4 sampled chunks are over budget.
	if _, err := s.ms.CreateJob(s.ta.Ctx, msg(&types.Assurance{Samples: p.SamplesPerJob})); !errors.Is(err, types.ErrInvalidAssurance) {
		t.Fatalf("the job with assurance of %d samples: %v, want ErrInvalidAssurance", p.SamplesPerJob, err)
	}
	// The same job, verified on the same samples_per_job chunks when
	// sampled, without assurance.
	before := s.bal(req)
	res, err := s.ms.CreateJob(s.ta.Ctx, msg(nil))
	if err == nil {
		j := s.job(res.JobId)
		t.Fatalf("job %d admitted without assurance: mul_adds %d, %d chunks, verified on samples_per_job = %d chunks "+
			"(%d multiply-adds per sidecar, budget %d)", j.Id, j.MulAdds, j.ExpectedChunkCount, p.SamplesPerJob, sampled, budget)
	}
	if !errors.Is(err, types.ErrInvalidAssurance) {
		t.Fatalf("the job without assurance: %v, want ErrInvalidAssurance", err)
	}
	if got := s.bal(req); !got.Equal(before) {
		t.Fatalf("the refused requester's balance %s → %s", before, got)
	}
}

// TestAttackDisputeMakesAnMLPVerificationUndoable: hostile is a requester.
// An honest provider bids on an mlp job only when samples_per_job chunks
// fit the verification budget (provider admitVerification: 4 × 8.4·10^9 =
// 3.4·10^10 ≤ 5·10^10 here, a model 8→4096→2048→4 over 20,000 rows in 20
// chunks of 1,000), runs it and submits. In the challenge window the
// requester disputes (10 AIC at the defaults, refunded on an inconclusive
// end) naming 16 more chunks: the chain accepts any max_dispute_chunks
// indices whatever their work, so every sidecar must now recompute 20
// chunks, 1.7·10^11 multiply-adds, 3.4× the window's budget
// (max_work_per_exec_block × verification_blocks) and 1.7× the window and
// its one extension together. At the pace the chain holds a provider to,
// no quorum comes; the job ends VERIFICATION_INCONCLUSIVE, the requester
// gets its escrow and dispute fee back while holding the result the
// provider served, and the honest provider is paid nothing for the work:
// the README says a requester must not be able to cause an inconclusive
// end. Correct behaviour: a dispute whose sampled plus requested chunks'
// work exceeds the verification budget is refused (or the chain bounds a
// job's chunk work so that samples_per_job + max_dispute_chunks fit). Now
// the dispute is refused (ErrDisputeTooLarge) with no fee taken, and one
// whose chunks fit the window is accepted.
func TestAttackDisputeMakesAnMLPVerificationUndoable(t *testing.T) {
	s, p := s0(t)
	req, prov := s.acc(0), s.acc(1)
	work, chunk := workload.MLPWork(mrtypes.RowMulAdds([]uint64{8, 4096, 2048, 4}), 3, 20_000, 1000)
	model, dataset := s.wideMLPInputs(s.acc(2), []uint64{4096, 2048}, 20_000)
	budget := p.MaxWorkPerExecBlock * p.VerificationBlocks
	if uint64(p.SamplesPerJob)*chunk > budget {
		t.Fatalf("setup: an honest provider would not bid (%d sampled chunks of %d > %d)", p.SamplesPerJob, chunk, budget)
	}
	hw := gpuHW()
	hw.Workloads = append(hw.Workloads, workload.KindMLP)
	_, err := s.ms.RegisterProvider(s.ta.Ctx, &types.MsgRegisterProvider{
		Operator: prov.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: hw, Bond: coin(verifyBond),
	})
	must(t, err)
	res, err := s.ms.CreateJob(s.ta.Ctx, s.wideMLPMsg(req, model, dataset, work, nil))
	must(t, err)
	id := res.JobId
	s.win(prov, id, verifyPrice)
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 20})
	must(t, err)
	for !s.job(id).Sample.Decided {
		s.next(1)
	}
	if st := s.job(id).State; st != types.JobState_JOB_STATE_SUBMITTED {
		t.Fatalf("setup: job %s, want SUBMITTED (unsampled, in its challenge window)", st)
	}
	indices := make([]uint64, p.MaxDisputeChunks)
	for i := range indices {
		indices[i] = uint64(i)
	}
	before := s.bal(req)
	_, err = s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, ChunkIndices: indices})
	if err == nil {
		checked := uint64(min(len(indices)+int(p.SamplesPerJob), 20))
		t.Fatalf("dispute of %d chunks accepted: sidecars must recompute up to %d chunks = %d multiply-adds, "+
			"budget %d per window (%d with its extension)", len(indices), checked, checked*chunk, budget, 2*budget)
	}
	if !errors.Is(err, types.ErrDisputeTooLarge) {
		t.Fatalf("the oversized dispute: %v, want ErrDisputeTooLarge", err)
	}
	if got := s.bal(req); !got.Equal(before) || s.job(id).Sample.Disputed {
		t.Fatalf("the refused dispute: requester %s → %s, disputed %v", before, got, s.job(id).Sample.Disputed)
	}
	fits := budget/chunk - uint64(p.SamplesPerJob) // chunks the window checks besides the samples
	_, err = s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, ChunkIndices: indices[:fits]})
	if err != nil {
		t.Fatalf("a dispute of %d chunks that fit the window: %v", fits, err)
	}
	if got, want := s.bal(req), before.Sub(p.DisputeFee.Amount); !got.Equal(want) || !s.job(id).Sample.Disputed {
		t.Fatalf("the accepted dispute: requester %s → %s, want %s", before, got, want)
	}
}

// s0 is the suite at the default verification params (budget, samples,
// windows), with the attack tests' fees.
func s0(t *testing.T) (*suite, types.Params) {
	s := newSuite(t)
	p := attackParams()
	d := types.DefaultParams()
	p.MaxWorkPerExecBlock, p.VerificationBlocks, p.SamplesPerJob = d.MaxWorkPerExecBlock, d.VerificationBlocks, d.SamplesPerJob
	p.MaxExecBlocks, p.MaxChunkBytes, p.VerdictGraceBlocks = d.MaxExecBlocks, d.MaxChunkBytes, d.VerdictGraceBlocks
	p.MaxDisputeChunks = d.MaxDisputeChunks
	s.setParams(p)
	return s, p
}

// wideMLPInputs registers owner's mlp model 8→hidden…→4 and an npy-f32
// dataset of rows × 8 in chunks of 1,000 rows.
func (s *suite) wideMLPInputs(owner sdk.AccAddress, hidden []uint64, rows uint64) (model, dataset uint64) {
	s.t.Helper()
	mres, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: owner.String(), Name: "wide", Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: "https://models.example/wide.safetensors",
		InputDim: 8, OutputDim: 4, HiddenDims: hidden, License: "MIT",
		FeePerJob: sdk.NewCoins(coin(300)), Shares: []common.Share{{Address: owner.String(), Weight: 1}},
	})
	must(s.t, err)
	s.postModelBond(owner, modelBondStake)
	dres, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "rows", Format: "npy-f32", Rows: rows, Cols: 8, RowsPerChunk: 1000,
		ContentRoot: bytes.Repeat([]byte{7}, 32), Sha256: string(bytes.Repeat([]byte("cd"), 32)), RowsSha256: string(bytes.Repeat([]byte("cd"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(datasetFee))}},
	})
	must(s.t, err)
	return mres.ModelId, dres.DatasetId
}

// wideMLPMsg is req's job over them in chunks of 1,000 rows, with an exec
// window that covers work at max_work_per_exec_block.
func (s *suite) wideMLPMsg(req sdk.AccAddress, model, dataset, work uint64, a *types.Assurance) *types.MsgCreateJob {
	p, err := s.k.Params.Get(s.ta.Ctx)
	must(s.t, err)
	m := s.createMsg(req, verifyPrice)
	m.Workload = types.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 1000,
		Mlp: &types.MlpSpec{ModelId: model, DatasetId: dataset}}
	m.ExecBlocks = (work-1)/p.MaxWorkPerExecBlock + 1
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(300)), sdk.NewCoins(coin(datasetFee))
	m.Assurance = a
	return m
}
