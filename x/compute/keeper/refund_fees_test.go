package keeper_test

import (
	"bytes"
	"testing"

	"github.com/aichain/aichain/workload"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestRefundsPayNoModelOrDatasetFee: a job over a priced model and a PER_JOB
// dataset escrows max_price plus both fees; when it is cancelled, or expires
// without bids, the requester gets every coin back and neither the model's
// shares, the dataset's shares nor the reward pool receive anything.
func TestRefundsPayNoModelOrDatasetFee(t *testing.T) {
	s := newSuite(t)
	alice, carol, dave, bob := s.acc(0), s.acc(1), s.acc(2), s.acc(3)

	_, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: alice.String(), Name: "tiny", Version: "v1", Architecture: "mlp-f32",
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: "https://models.example/tiny.safetensors",
		InputDim: 3, OutputDim: 2, License: "MIT",
		FeePerJob: sdk.NewCoins(coin(300)), FeePer1kRows: sdk.NewCoins(coin(1000)),
		Shares: []common.Share{{Address: alice.String(), Weight: 1}, {Address: carol.String(), Weight: 1}},
	})
	if err != nil {
		t.Fatalf("register model: %v", err)
	}
	s.postModelBond(alice, modelBondStake)
	_, err = dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: alice.String(), Name: "rows", Format: "npy-f32", Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{7}, 32), Sha256: string(bytes.Repeat([]byte("cd"), 32)), RowsSha256: string(bytes.Repeat([]byte("cd"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(700))}},
		Shares: []common.Share{{Address: alice.String(), Weight: 1}, {Address: dave.String(), Weight: 1}},
	})
	if err != nil {
		t.Fatalf("list dataset: %v", err)
	}

	mlp := func() *types.MsgCreateJob {
		m := s.createMsg(bob, 5000)
		m.Workload = types.WorkloadSpec{Kind: workload.KindMLP, Mlp: &types.MlpSpec{ModelId: 1, DatasetId: 1}, ChunkRows: 8}
		m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(340)), sdk.NewCoins(coin(700))
		return m
	}
	// 5000 + model 300 + ceil(1000 × 40 / 1000) = 40 + dataset 700.
	const escrow = 5000 + 300 + 40 + 700
	before := s.snap(alice, carol, dave, bob)
	pool := s.poolBal()

	res, err := s.ms.CreateJob(s.ta.Ctx, mlp())
	if err != nil {
		t.Fatalf("create mlp job: %v", err)
	}
	s.inv()
	if got := before.bals[3].Sub(s.bal(bob)); got.Int64() != escrow {
		t.Fatalf("bob paid %s into escrow, want %d", got, escrow)
	}
	// The job fixes the dataset version and root it runs on.
	if j := s.job(res.JobId); j.DatasetVersion != 1 || !bytes.Equal(j.DatasetContentRoot, bytes.Repeat([]byte{7}, 32)) {
		t.Fatalf("job dataset snapshot: version %d root %x, want version 1 and the listed root", j.DatasetVersion, j.DatasetContentRoot)
	}
	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: bob.String(), JobId: res.JobId}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	s.inv()
	sameBalances(t, before, s.snap(alice, carol, dave, bob))
	if !s.poolBal().Equal(pool) {
		t.Fatalf("the reward pool moved on a cancelled job: %s -> %s", pool, s.poolBal())
	}

	// No bids: the job expires after its windows with a full refund.
	res, err = s.ms.CreateJob(s.ta.Ctx, mlp())
	if err != nil {
		t.Fatalf("create mlp job: %v", err)
	}
	s.next(8)
	s.wantState(res.JobId, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)
	sameBalances(t, before, s.snap(alice, carol, dave, bob))
	if !s.poolBal().Equal(pool) {
		t.Fatalf("the reward pool moved on an expired job: %s -> %s", pool, s.poolBal())
	}
}

// sameBalances compares the balances of two snapshots (accounts, then the
// compute and reward-pool module accounts), not the module state.
func sameBalances(t *testing.T, before, after snapshot) {
	t.Helper()
	names := []string{"alice", "carol", "dave", "bob", "compute module", "reward pool"}
	for i := range before.bals {
		if !before.bals[i].Equal(after.bals[i]) {
			t.Fatalf("%s: %s -> %s after a refund", names[i], before.bals[i], after.bals[i])
		}
	}
}
