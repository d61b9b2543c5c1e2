package keeper_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// splitInputs registers a model owned by modelOwner (hidden widths hidden)
// and lists a dataset of rows rows owned by datasetOwner (the fees of
// mlpInputs), and returns the mlp workload.
func (s *suite) splitInputs(modelOwner, datasetOwner sdk.AccAddress, hidden []uint64, rows uint64) types.WorkloadSpec {
	s.t.Helper()
	m, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: modelOwner.String(), Name: "tiny", Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: "https://models.example/tiny.safetensors",
		InputDim: 3, OutputDim: 2, HiddenDims: hidden, License: "MIT",
		FeePerJob: sdk.NewCoins(coin(300)), FeePer1kRows: sdk.NewCoins(coin(1000)),
		Shares: []common.Share{{Address: modelOwner.String(), Weight: 1}},
	})
	if err != nil {
		s.t.Fatalf("register model: %v", err)
	}
	return types.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 8,
		Mlp: &types.MlpSpec{ModelId: m.ModelId, DatasetId: s.listRows(datasetOwner, rows, 7)}}
}

// listRows lists a dataset of rows rows × 3 columns owned by owner, with a
// PER_JOB offer of datasetFee; tag tells its file apart.
func (s *suite) listRows(owner sdk.AccAddress, rows uint64, tag byte) uint64 {
	s.t.Helper()
	d, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "rows", Format: "npy-f32", Rows: rows, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{tag}, 32), Sha256: strings.Repeat(fmt.Sprintf("%02x", tag), 32), RowsSha256: strings.Repeat(fmt.Sprintf("%02x", tag), 32),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(datasetFee))}},
	})
	if err != nil {
		s.t.Fatalf("list dataset: %v", err)
	}
	s.inv()
	return d.DatasetId
}

// postModelBond posts amount of owner's model availability bond.
func (s *suite) postModelBond(owner sdk.AccAddress, amount int64) {
	s.t.Helper()
	if _, err := s.ms.PostModelBond(s.ta.Ctx, &types.MsgPostModelBond{Owner: owner.String(), Amount: sdk.NewCoins(coin(amount))}); err != nil {
		s.t.Fatalf("post model bond: %v", err)
	}
	s.inv()
}

// modelBondOf asserts owner's model bond: bonded and locked.
func (s *suite) modelBondOf(owner sdk.AccAddress, bonded, locked int64) {
	s.t.Helper()
	res, err := s.q.ModelBond(s.ta.Ctx, &types.QueryModelBondRequest{Owner: owner.String()})
	if err != nil {
		s.t.Fatal(err)
	}
	b := res.Bond
	if !b.Bonded.AmountOf(denom).Equal(math.NewInt(bonded)) || !b.Locked.AmountOf(denom).Equal(math.NewInt(locked)) ||
		!res.Free.AmountOf(denom).Equal(math.NewInt(bonded-locked)) {
		s.t.Fatalf("model bond of %s: bonded %s locked %s free %s, want %d / %d / %d", owner, b.Bonded, b.Locked, res.Free, bonded, locked, bonded-locked)
	}
}

// TestAttackModelOwnerWinnerWalksAwayOnHonestRequestersDime: a model's owner
// also runs a GPU provider (or colludes with one). It wins an honest
// requester's mlp job over its own model and an honest owner's dataset, then
// no longer wants to run it. A timeout would forfeit its collateral and
// compensate the requester for the creation and dataset fees. Instead it
// stops serving its model's weights and aborts: every honest sidecar finds
// the inputs unavailable and the dataset served, so the abort stands, its
// collateral is released, and the dataset fee, owed since the award, goes to
// the dataset's owner out of the honest requester's escrow. Before model
// bonds, the requester was out creation + dataset fee (1,700): the walk-away
// cost the coalition nothing. Now the job locked the dataset fee of the
// model owner's availability bond when it was created, and that lock goes
// to the requester: the requester is out only its creation fee, as on any
// standing abort, and the model owner pays the fee it walked away on.
func TestAttackModelOwnerWinnerWalksAwayOnHonestRequestersDime(t *testing.T) {
	const bond = 1_000_000
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov, dsOwner := s.acc(0), s.acc(1), s.acc(2)
	s.registerAny(prov, bond)
	w := s.splitInputs(prov, dsOwner, nil, 40) // the winner owns the model
	l := s.ledger(req, prov, dsOwner)
	s.postModelBond(prov, 5_000)
	id := s.mlpJob(req, w, 10_000)
	s.modelBondOf(prov, 5_000, datasetFee)
	s.win(prov, id, 10_000)
	if _, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: prov.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE}); err != nil {
		t.Fatalf("abort: %v", err)
	}
	s.inv()
	// The model's server is down: every honest validator finds the inputs
	// unavailable; the dataset itself is served.
	s.verdicts(id, types.Verdict_VERDICT_INPUTS_UNAVAILABLE, 'k', 10, 10, 10)
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
	l.delta("dataset owner (served its rows)", dsOwner, datasetFee-marketFee(datasetFee))
	l.delta("honest requester (out at most its creation fee)", req, -creationFee)
	l.delta("model owner running the winner (its bond paid the fee it walked away on)", prov, -datasetFee)
	s.modelBondOf(prov, 5_000-datasetFee, 0)
	if j := s.job(id); !j.ModelBond.IsZero() || j.ModelBonder != prov.String() {
		t.Fatalf("job's model bond after the forfeit: %s of %s, want none of %s", j.ModelBond, j.ModelBonder, prov)
	}
}

// TestAttackModelOwnerWithoutBondTakesJobs: an owner that posted no bond
// (or whose bond live jobs hold) cannot have its model used by another's
// job with a paid dataset; the refusal moves no coin. The requester's own
// model needs none, and a dataset-gone abort or any other close releases
// the lock, which the owner can then withdraw, never more.
func TestAttackModelOwnerWithoutBondTakesJobs(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, owner, dsOwner := s.acc(0), s.acc(1), s.acc(2)
	w := s.splitInputs(owner, dsOwner, nil, 40)
	m := s.createMsg(req, 10_000)
	m.Workload = w
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(modelFee)), sdk.NewCoins(coin(datasetFee))
	l := s.ledger(req, owner, dsOwner)
	if _, err := s.ms.CreateJob(s.ta.Ctx, m); !types.ErrModelBondUncovered.Is(err) {
		t.Fatalf("a job on an unbonded model: %v, want ErrModelBondUncovered", err)
	}
	s.postModelBond(owner, datasetFee+100)
	id := s.mlpJob(req, w, 10_000)
	s.modelBondOf(owner, datasetFee+100, datasetFee)
	if _, err := s.ms.CreateJob(s.ta.Ctx, m); !types.ErrModelBondUncovered.Is(err) {
		t.Fatalf("a second job beyond the free bond: %v, want ErrModelBondUncovered", err)
	}
	if _, err := s.ms.WithdrawModelBond(s.ta.Ctx, &types.MsgWithdrawModelBond{Owner: owner.String(), Amount: sdk.NewCoins(coin(101))}); !types.ErrModelBondLocked.Is(err) {
		t.Fatalf("withdraw past the free bond: %v, want ErrModelBondLocked", err)
	}
	// The owner's own job on its model locks nothing.
	own := s.mlpJob(owner, w, 10_000)
	s.modelBondOf(owner, datasetFee+100, datasetFee)
	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.modelBondOf(owner, datasetFee+100, 0)
	if _, err := s.ms.WithdrawModelBond(s.ta.Ctx, &types.MsgWithdrawModelBond{Owner: owner.String(), Amount: sdk.NewCoins(coin(datasetFee + 100))}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.modelBondOf(owner, 0, 0)
	if _, err := s.k.ModelBonds.Get(s.ta.Ctx, owner); err == nil {
		t.Fatal("an emptied model bond is still stored")
	}
	l.delta("requester (the creation fee of its cancelled job)", req, -creationFee)
	l.delta("model owner (its own job's escrow and fee; its bond back)", owner, -creationFee-s.job(own).Escrow.AmountOf(denom).Int64())
}

// TestModelBondDatasetGoneReleases: an abort that stands with the dataset
// found gone refunds the dataset fee and releases the model owner's lock.
func TestModelBondDatasetGoneReleases(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov, owner, dsOwner := s.acc(0), s.acc(1), s.acc(2), s.acc(3)
	s.registerAny(prov, 1_000_000)
	w := s.splitInputs(owner, dsOwner, nil, 40)
	s.postModelBond(owner, 5_000)
	l := s.ledger(req, owner, dsOwner)
	id := s.mlpJob(req, w, 10_000)
	s.win(prov, id, 10_000)
	if _, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: prov.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE}); err != nil {
		t.Fatalf("abort: %v", err)
	}
	s.verdicts(id, types.Verdict_VERDICT_DATASET_UNAVAILABLE, 'k', 10, 10, 10)
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
	l.delta("requester (dataset fee refunded)", req, -creationFee)
	l.delta("dataset owner (served nothing)", dsOwner, 0)
	l.delta("model owner", owner, 0)
	s.modelBondOf(owner, 5_000, 0)
}

// TestAttackRequesterPairsModelWithRowsItCannotRun: the input check of an
// abort finds an mlp job's inputs unusable when a layer's activation over
// the dataset's rows exceeds what any agent holds (jobexec's
// checkMLPInputs), a verdict that pays the model owner's bond to the
// requester. A requester owning a dataset of 2^22 rows pairs it with an
// honest, bonded model whose hidden layer is 1,024 wide (2^32 values), runs
// the winner, aborts and collects the owner's bond. The chain now refuses
// such a job when it is created: no agent could run it anyway.
func TestAttackRequesterPairsModelWithRowsItCannotRun(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, owner := s.acc(0), s.acc(2)
	w := s.splitInputs(owner, req, []uint64{1024}, 1<<22)
	w.ChunkRows = 256
	s.postModelBond(owner, 5_000)
	m := s.createMsg(req, 10_000)
	m.Workload, m.ExecBlocks = w, 100
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(10_000_000)), sdk.NewCoins(coin(datasetFee))
	l := s.ledger(req, owner)
	_, err := s.ms.CreateJob(s.ta.Ctx, m)
	if !types.ErrInvalidWorkload.Is(err) {
		t.Fatalf("a job whose hidden activation is %d values: %v, want ErrInvalidWorkload", uint64(1<<22)*1024, err)
	}
	l.delta("requester", req, 0)
	s.modelBondOf(owner, 5_000, 0)
	// The same model on half the rows runs.
	m.Workload.Mlp = &types.MlpSpec{ModelId: w.Mlp.ModelId, DatasetId: s.listRows(req, 1<<21, 9)}
	if _, err := s.ms.CreateJob(s.ta.Ctx, m); err != nil {
		t.Fatalf("a job whose hidden activation is 2^31 values: %v", err)
	}
	s.inv()
}

// TestAttackGenesisModelBondBelowItsLocks: a genesis whose model bond locks
// less than its live jobs (or is missing, or listed twice) would let the
// owner withdraw what a running job's abort may owe its requester; it is
// refused, and the exported state round-trips.
func TestAttackGenesisModelBondBelowItsLocks(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, owner, dsOwner := s.acc(0), s.acc(1), s.acc(2)
	w := s.splitInputs(owner, dsOwner, nil, 40)
	s.postModelBond(owner, 5_000)
	s.mlpJob(req, w, 10_000)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	if len(gs.ModelBonds) != 1 || !gs.ModelBonds[0].Locked.Equal(sdk.NewCoins(coin(datasetFee))) {
		t.Fatalf("exported model bonds %v, want one locking %d", gs.ModelBonds, datasetFee)
	}
	must(t, gs.Validate())
	for name, tamper := range map[string]func(g *types.GenesisState){
		"locked below the jobs": func(g *types.GenesisState) { g.ModelBonds[0].Locked = sdk.NewCoins() },
		"locked above bonded": func(g *types.GenesisState) {
			g.ModelBonds[0].Bonded = sdk.NewCoins(coin(datasetFee - 1))
		},
		"bond missing":      func(g *types.GenesisState) { g.ModelBonds = nil },
		"bond listed twice": func(g *types.GenesisState) { g.ModelBonds = append(g.ModelBonds, g.ModelBonds[0]) },
	} {
		g := *gs
		g.ModelBonds = append([]types.ModelBond(nil), gs.ModelBonds...)
		tamper(&g)
		if err := g.Validate(); !types.ErrInvalidGenesis.Is(err) {
			t.Errorf("%s: %v, want ErrInvalidGenesis", name, err)
		}
	}
}
