package keeper_test

import (
	"bytes"
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

// gptInputs registers a tiny gpt-f32 model (owner) and lists a prompt
// dataset of 10 prompts of 12 tokens in chunks of 4 (npy-i32, a PER_JOB
// offer), and returns the model's configuration.
func (s *suite) gptInputs(owner sdk.AccAddress) workload.GPTConfig {
	s.t.Helper()
	_, err := mrkeeper.NewMsgServerImpl(s.ta.ModelRegistryKeeper).RegisterModel(s.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: owner.String(), Name: "tiny-gpt", Version: "v1", Architecture: workload.KindGPT,
		Sha256: string(bytes.Repeat([]byte("ab"), 32)), Uri: "https://models.example/tiny-gpt.safetensors",
		InputDim: 256, OutputDim: 256, License: "MIT",
		Gpt:       &mrtypes.GptConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128},
		FeePerJob: sdk.NewCoins(coin(300)), FeePer1kRows: sdk.NewCoins(coin(1000)),
		Shares: []common.Share{{Address: owner.String(), Weight: 1}},
	})
	if err != nil {
		s.t.Fatalf("register model: %v", err)
	}
	s.postModelBond(owner, modelBondStake)
	_, err = dmkeeper.NewMsgServerImpl(s.ta.DataMarketKeeper).ListDataset(s.ta.Ctx, &dmtypes.MsgListDataset{
		Owner: owner.String(), Name: "prompts", Format: dmtypes.FormatNpyI32, Rows: 10, Cols: 12, RowsPerChunk: 4,
		ContentRoot: bytes.Repeat([]byte{7}, 32), Sha256: string(bytes.Repeat([]byte("cd"), 32)), RowsSha256: string(bytes.Repeat([]byte("cd"), 32)),
		Uri:    "http://127.0.0.1:8090",
		Offers: []dmtypes.LicenseOffer{{Kind: dmtypes.LICENSE_KIND_PER_JOB, Price: sdk.NewCoins(coin(datasetFee))}},
	})
	if err != nil {
		s.t.Fatalf("list dataset: %v", err)
	}
	s.inv()
	return workload.GPTConfig{Layers: 2, Heads: 4, Embed: 64, Vocab: 256, Context: 128}
}

// TestGPTJobAdmission: a gpt-f32 job is admitted like every kind whose work
// the chain knows. Its work — tokens × parameters plus attention, the
// elementwise work and the kernel calls of its chunks, from the model's
// on-chain config (workload.GPTConfig.Work) — is one number: the job records it as mul_adds
// (what providers price), and the same number must fit exec_blocks ×
// max_work_per_exec_block. A sampled chunk, its output rows plus the prompt
// dataset's chunks served with them, must fit max_chunk_bytes. A refused
// request moves no coin.
func TestGPTJobAdmission(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)
	cfg := s.gptInputs(s.acc(2))
	work := cfg.Work(10, 12, nil, 8, 2).Job // 10 prompts at the dataset's width, 8 new tokens, 2 per chunk
	p.MaxWorkPerExecBlock = (work + 9) / 10
	p.MaxChunkBytes = 4096
	p.VerificationBlocks = 10 // a window that checks samples_per_job of the 5 chunks
	s.setParams(p)
	need := (work-1)/p.MaxWorkPerExecBlock + 1
	if need <= p.MinExecBlocks {
		t.Fatalf("the job needs %d blocks: the test needs more than min_exec_blocks %d", need, p.MinExecBlocks)
	}
	msg := func(chunkRows, execBlocks uint64) *types.MsgCreateJob {
		m := s.createMsg(req, 10_000)
		m.Workload = types.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: chunkRows,
			Gpt: &types.GptSpec{ModelId: 1, DatasetId: 1, MaxNewTokens: 8}}
		m.ExecBlocks = execBlocks
		m.MaxModelFee, m.MaxDatasetFee = sdk.NewCoins(coin(300+10)), sdk.NewCoins(coin(datasetFee))
		return m
	}
	before := s.snap(req, prov)
	// One block short of the work.
	_, err := s.ms.CreateJob(s.ta.Ctx, msg(2, need-1))
	wantErr(t, err, types.ErrInvalidWindow)
	// 4 prompts × (8 + 256) values × 4 bytes = 4224 bytes of output rows.
	_, err = s.ms.CreateJob(s.ta.Ctx, msg(4, need))
	wantErr(t, err, types.ErrInvalidWorkload)
	s.unchanged(before, req, prov)

	// 2 prompts: 2112 bytes of output and two dataset chunks of 4 × 12 int32
	// (384 bytes) fit; exactly the blocks the work needs.
	l := s.ledger(req, prov)
	res, err := s.ms.CreateJob(s.ta.Ctx, msg(2, need))
	if err != nil {
		t.Fatal(err)
	}
	s.inv()
	if j := s.job(res.JobId); j.MulAdds != work || j.Rows != 10 || j.ExpectedChunkCount != 5 {
		t.Fatalf("job: %d mul_adds, %d rows, %d chunks; want %d, 10, 5", j.MulAdds, j.Rows, j.ExpectedChunkCount, work)
	}
	l.delta("requester", req, -(creationFee + 10_000 + 310 + datasetFee))
}
