package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/workload"
	dmkeeper "github.com/aichain/aichain/x/datamarket/keeper"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackDatasetSwapAheadOfJob: the requester looks at dataset 1
// (version 1, 40 rows of real inputs) and signs an mlp job on it, pinning
// version 1. Ahead of it in the block, the dataset's owner publishes
// version 2 with other content of the same shape (garbage rows; no file is
// needed to publish). Were the job bound to whatever version is current, the
// requester would escrow the per-job fee, the model fee and the price for a
// job over rows it never chose, and the owner would be paid for them. The
// pinned job is refused (ErrDatasetVersionChanged) and nothing moves; a job
// that pins version 2, knowingly, is created on it.
func TestAttackDatasetSwapAheadOfJob(t *testing.T) {
	s := newSuite(t)
	req, owner := s.acc(0), s.acc(2)
	w := s.mlpInputs(owner)
	w.Mlp.DatasetVersion = 1
	if _, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).UpdateDataset(s.ta.Ctx, &dmtypes.MsgUpdateDataset{
		Owner: owner.String(), DatasetId: 1, Rows: 40, Cols: 3, RowsPerChunk: 8,
		ContentRoot: bytes.Repeat([]byte{9}, 32), Sha256: string(bytes.Repeat([]byte("ee"), 32)), RowsSha256: string(bytes.Repeat([]byte("ee"), 32)),
	}); err != nil {
		t.Fatal(err)
	}
	before := s.snap(req, owner)
	m := s.createMsg(req, 10_000)
	m.Workload = w
	m.MaxModelFee, m.MaxDatasetFee = m.MaxModelFee.Add(coin(modelFee)), m.MaxDatasetFee.Add(coin(datasetFee))
	_, err := s.ms.CreateJob(s.ta.Ctx, m)
	wantErr(t, err, types.ErrDatasetVersionChanged)
	s.unchanged(before, req, owner)

	w.Mlp.DatasetVersion = 2
	id := s.mlpJob(req, w, 10_000)
	if j := s.job(id); j.DatasetVersion != 2 || !bytes.Equal(j.DatasetContentRoot, bytes.Repeat([]byte{9}, 32)) {
		t.Fatalf("job on dataset version %d, root %x; want version 2", j.DatasetVersion, j.DatasetContentRoot)
	}
}

// TestAttackPromptSwapAheadOfGPTJob: the same swap against a gpt-f32 job
// whose prompts are a dataset's rows: the owner publishes other prompts of
// the same shape ahead of a job that pins version 1; it is refused and
// nothing moves.
func TestAttackPromptSwapAheadOfGPTJob(t *testing.T) {
	s := newSuite(t)
	req, owner := s.acc(0), s.acc(2)
	s.gptInputs(owner)
	if _, err := dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).UpdateDataset(s.ta.Ctx, &dmtypes.MsgUpdateDataset{
		Owner: owner.String(), DatasetId: 1, Rows: 10, Cols: 12, RowsPerChunk: 4,
		ContentRoot: bytes.Repeat([]byte{9}, 32), Sha256: string(bytes.Repeat([]byte("ee"), 32)), RowsSha256: string(bytes.Repeat([]byte("ee"), 32)),
	}); err != nil {
		t.Fatal(err)
	}
	m := s.createMsg(req, 10_000)
	m.Workload = types.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 2,
		Gpt: &types.GptSpec{ModelId: 1, DatasetId: 1, MaxNewTokens: 8, DatasetVersion: 1}}
	m.ExecBlocks = 40
	m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(300+10)), sdk.NewCoins(coin(datasetFee))
	before := s.snap(req, owner)
	_, err := s.ms.CreateJob(s.ta.Ctx, m)
	wantErr(t, err, types.ErrDatasetVersionChanged)
	s.unchanged(before, req, owner)
}
