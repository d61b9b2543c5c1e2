package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackInlinePromptsBloatTheJobsUnpaidBlockWork: a gpt-f32 job carries
// its inline prompts in its spec (up to 64 prompts, 4,096 tokens), so its
// record is some 8 KiB where a gemm or mlp job's is a few hundred bytes;
// the block work its life causes (the auction's close and award, the draw,
// settlement and pruning, each reading and writing the whole record under
// the block's infinite gas meter) grows with it. MsgCreateJob charges a
// fixed JobBlockGas + JobInputsBlockGas (360,000) for that work whatever
// the record's size (types.WorkloadSpec.BlockGas), measured on small
// records. A requester spamming such jobs (64 prompts of 64 tokens, a
// tiny model) makes the blocks do more work than it paid for, more even
// than all the gas its messages used; a job of one short prompt is within
// its charge.
// The honest outcome, as TestAttackJobsLeaveTheirBlockWorkUnpaid asserts
// for the other kinds: a job's block work is at most what its messages
// were charged for it. Now MsgCreateJob also pays
// types.JobBlockGasPerSpecByte for each byte of its spec above
// JobSpecBaseBytes (the 64 × 64 job: 1,555,765 gas of block work,
// 2,077,200 charged).
func TestAttackInlinePromptsBloatTheJobsUnpaidBlockWork(t *testing.T) {
	for _, c := range []struct {
		name            string
		prompts, tokens int
	}{
		{"one prompt of one token", 1, 1},
		{"64 prompts of 64 tokens", types.GPTMaxInlinePrompts, types.GPTMaxInlineTokens / types.GPTMaxInlinePrompts},
	} {
		t.Run(c.name, func(t *testing.T) { gptLifeBlockWork(t, c.prompts, c.tokens) })
	}
}

// gptLifeBlockWork runs a gpt-f32 job of n inline prompts of k tokens each
// (model 1 of gptInputs), one bid, to its settlement and pruning, and
// compares the block work of its life with what its messages were charged
// for it (lifeWork's measure).
func gptLifeBlockWork(t *testing.T, n, k int) {
	s := newSuite(t)
	p := s.params()
	p.RetentionBlocks = 4
	cfg := s.gptInputs(s.acc(5)) // model 1: 2 layers, embed 64, vocabulary 256, context 128
	prompts := make([]types.GptPrompt, n)
	lens := make([]int, n)
	for i := range prompts {
		toks := make([]uint32, k)
		for j := range toks {
			toks[j] = uint32(128 + (i*7+j*13)%128) // two-byte varints
		}
		prompts[i] = types.GptPrompt{Tokens: toks}
		lens[i] = k
	}
	chunkRows := uint64(min(8, n))
	w := types.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: chunkRows, Gpt: &types.GptSpec{ModelId: 1, Prompts: prompts}}
	work := cfg.Work(n, k, lens, 0, int(chunkRows))
	p.MaxWorkPerExecBlock = max(p.MaxWorkPerExecBlock, work.Chunk*uint64(n)/chunkRows)
	s.setParams(p)
	prov := s.acc(1)
	s.registerAny(prov, 1_000_000)
	s.next(1)
	idle := s.blockWork()
	var id uint64
	msgs := s.msgGas(func() {
		m := s.createMsg(s.acc(0), 10_000)
		m.Workload = w
		m.MaxModelFee = sdk.NewCoins(coin(300 + int64(n))) // fee_per_job + 1000 per 1k rows × n prompts
		res, err := s.ms.CreateJob(s.ta.Ctx, m)
		if err != nil {
			t.Fatalf("create gpt job: %v", err)
		}
		id = res.JobId
	})
	msgs += s.msgGas(func() { s.commit(prov, id, 5_000) })
	rec := s.job(id)
	blockWork, submitted := s.liveToPruning(id, idle, []sdk.AccAddress{prov}, []int64{5_000}, true)
	if !submitted {
		t.Fatal("set-up: the job was never assigned")
	}
	charged := w.BlockGas() + types.CommitBlockGas
	t.Logf("%d inline prompts of %d tokens (job record %d bytes), one bid, settled: block work %d, charged %d (messages %d)",
		n, k, rec.Size(), blockWork, charged, msgs)
	if blockWork > charged {
		t.Errorf("the job's life did %d gas of block work, %d charged for it (%.1f×; its messages used %d in all)",
			blockWork, charged, float64(blockWork)/float64(charged), msgs)
	}
}
