package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// hasAccess asks x/datamarket whether addr may read version of dataset 1.
func (s *suite) hasAccess(addr sdk.AccAddress, version uint64) bool {
	s.t.Helper()
	res, err := s.ta.DataMarketKeeper.HasAccess(s.ta.Ctx, 1, addr.String(), version)
	if err != nil {
		s.t.Fatalf("has access: %v", err)
	}
	return res.HasAccess
}

// TestAttackOwnProviderReadsDatasetThenTimesOut (issue 17, attack 3). A
// requester with a provider of its own runs an mlp job over another owner's
// dataset: its provider wins, reads the data, and lets the job time out.
// Before, the winner could read every version and the PER_JOB fee, charged
// only at settlement, came back with the refund: the data for the price of
// gas. Now the access is the version the job pinned, and it makes the fee
// the owner's: the pair pays the dataset fee (and the creation fee and the
// timeout penalty), the owner is paid, and a later version stays closed.
func TestAttackOwnProviderReadsDatasetThenTimesOut(t *testing.T) {
	const bond = 1_000_000
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov, owner := s.acc(0), s.acc(1), s.acc(2)
	s.registerAny(prov, bond)
	w := s.mlpInputs(owner)
	l := s.ledger(req, prov, owner)
	id := s.mlpJob(req, w, 10_000) // pins version 1
	_, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).UpdateDataset(s.ta.Ctx, &dmtypes.MsgUpdateDataset{
		Owner: owner.String(), DatasetId: 1, Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{9}, 32), Sha256: string(bytes.Repeat([]byte("ef"), 32)), RowsSha256: string(bytes.Repeat([]byte("ef"), 32)), Uri: "http://127.0.0.1:8090",
	})
	if err != nil {
		t.Fatalf("publish version 2: %v", err)
	}
	if s.hasAccess(prov, 1) {
		t.Fatal("the provider reads the dataset before it won anything")
	}
	s.win(prov, id, 10_000)
	if !s.hasAccess(prov, 1) || s.hasAccess(prov, 2) {
		t.Fatalf("winner's access: version 1 %v (want true), version 2 %v (want false)", s.hasAccess(prov, 1), s.hasAccess(prov, 2))
	}
	if !s.job(id).DatasetFeeOwed {
		t.Fatal("award did not make the dataset fee owed")
	}
	s.runToTimeout(id)
	if s.hasAccess(prov, 1) {
		t.Fatal("the access outlived the job")
	}
	penalty := int64(20_000) // slash_fraction_timeout of the 20,000 collateral
	comp := int64(creationFee + datasetFee)
	l.delta("requester", req, -creationFee-datasetFee+comp)
	l.delta("provider (the requester's own)", prov, 0)
	s.bondOf(prov, bond-penalty, 0, 0)
	l.delta("dataset owner", owner, datasetFee-marketFee(datasetFee))
	l.delta("reward pool", poolAddr(), creationFee+marketFee(datasetFee)+penalty-comp)
	l.delta("module account", moduleAddr(), -penalty)
	// The pair together: the dataset fee went to its owner, and more.
	if pairLoss := penalty - (comp - creationFee - datasetFee); pairLoss < datasetFee {
		t.Fatalf("the pair lost %d, less than the dataset fee %d", pairLoss, datasetFee)
	}
}

// TestAttackFreeModelNeverMetered (issue 17, attack 7): a model priced at
// zero had its use recorded only when a fee was paid, so its usage (what
// explorers and its creators read) stayed empty. A settled job over a free
// model now counts, with its rows.
func TestAttackFreeModelNeverMetered(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov, owner := s.acc(0), s.acc(1), s.acc(2)
	s.registerAny(prov, 1_000_000)
	w := s.mlpInputs(owner)
	free := s.freeModel(owner)
	w.Mlp.ModelId = free
	m := s.createMsg(req, 10_000)
	m.Workload = w
	m.MaxDatasetFee = sdk.NewCoins(coin(datasetFee))
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	s.win(prov, res.JobId, 10_000)
	s.settleHonestly(prov, res.JobId)
	got, err := s.ta.ModelRegistryKeeper.GetModel(s.ta.Ctx, free)
	if err != nil {
		t.Fatal(err)
	}
	if got.Usage.Jobs != 1 || got.Usage.Rows != 40 || !got.Usage.Revenue.IsZero() {
		t.Fatalf("free model usage %+v, want 1 job, 40 rows, no revenue", got.Usage)
	}
}

// freeModel registers a second model, of owner, with no fee, and returns its id.
func (s *suite) freeModel(owner sdk.AccAddress) uint64 {
	s.t.Helper()
	res, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: owner.String(), Name: "free", Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ef"), 32)), Uri: "https://models.example/free.safetensors",
		InputDim: 3, OutputDim: 2, License: "MIT",
		Shares: []common.Share{{Address: owner.String(), Weight: 1}},
	})
	if err != nil {
		s.t.Fatalf("register free model: %v", err)
	}
	return res.ModelId
}

// settleHonestly has the winner submit a result that is not sampled (the
// test params' sample floor is 0) and runs blocks until the job settles.
func (s *suite) settleHonestly(prov sdk.AccAddress, id uint64) {
	s.t.Helper()
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 5}); err != nil {
		s.t.Fatal(err)
	}
	s.inv()
	for i := 0; i < 1000 && s.job(id).State != types.JobState_JOB_STATE_SETTLED; i++ {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
}
