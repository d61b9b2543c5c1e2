package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// The provider agent sends MsgAbortJob and MsgSubmitResult through
// chainclient, which caps a tx's gas at MsgsGasLimit(n) (200,000 + 1,000,000
// a message) whatever the node's simulation says. Since 6f1c081 and a415298
// those messages also pay for the verdicts they cause: an abort n ×
// Job.VerdictGas(false) for the set's n validators, a submission (rate -
// floor) of that. With x/staking's default 100 validators these charges
// alone are over the cap, so the agent's tx runs out of gas: an honest
// provider whose inputs are unavailable cannot abort (the job times out and
// it is slashed for not delivering), and one sampled above the floor cannot
// deliver a gpt result. Now the client allows for the chain's charge of a
// message that has one (chainclient.ChargedMsg: types.GasChargeBound).

// TestAttackAbortOnAHundredValidatorsOutgrowsTheAgentsGasCap: the honest
// outcome is that an abort's gas fits in what the agent can sign for one
// message.
func TestAttackAbortOnAHundredValidatorsOutgrowsTheAgentsGasCap(t *testing.T) {
	const n = 100
	s := newSuite(t)
	req, prov, owner := s.acc(0), s.acc(1), s.acc(5)
	s.registerAny(prov, 1_000_000)
	id := s.mlpJob(req, s.mlpInputs(owner), 10_000)
	s.win(prov, id, 10_000)
	must(t, s.k.RecordBeacon(s.ta.Ctx, setOf(n), nil))
	gas := s.msgGas(func() {
		_, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: prov.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE})
		must(t, err)
	})
	limit := chainclient.MsgsGasLimit(&types.MsgAbortJob{})
	rec := s.job(id)
	t.Logf("abort of an mlp job (record %d bytes) with %d validators: %d gas; the agent signs at most %d", rec.Size(), n, gas, limit)
	if gas > limit {
		t.Errorf("MsgAbortJob uses %d gas (the ante's signature and fee not counted), over the %d the provider agent can sign for it: its abort runs out of gas", gas, limit)
	}
}

// TestAttackSubmissionAboveTheFloorOutgrowsTheAgentsGasCap: an honest
// provider whose one earlier job timed out (sampled at ~100 %, the floor
// 20 %) delivers a gpt job of
// 8 inline prompts of 64 tokens; the honest outcome is that its
// submission's gas fits in what the agent can sign for one message.
func TestAttackSubmissionAboveTheFloorOutgrowsTheAgentsGasCap(t *testing.T) {
	const n = 100
	s := newSuite(t)
	p := s.params()
	cfg := s.gptInputs(s.acc(5))
	const prompts, k = 8, 64
	g := &types.GptSpec{ModelId: 1}
	lens := make([]int, prompts)
	for i := 0; i < prompts; i++ {
		toks := make([]uint32, k)
		for j := range toks {
			toks[j] = uint32(128 + (i*7+j*13)%128)
		}
		g.Prompts = append(g.Prompts, types.GptPrompt{Tokens: toks})
		lens[i] = k
	}
	w := types.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 8, Gpt: g}
	work := cfg.Work(prompts, k, lens, 0, 8)
	p.MaxWorkPerExecBlock = max(p.MaxWorkPerExecBlock, work.Chunk)
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.registerAny(prov, 1_000_000)
	m := s.createMsg(req, 10_000)
	m.Workload = w
	m.MaxModelFee = sdk.NewCoins(coin(300 + prompts))
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	must(t, err)
	id := res.JobId
	s.win(prov, id, 10_000)
	// One earlier job of its timed out (an outage; no fraud): failed_value
	// of one job's max_price and nothing completed puts its rate near 100 %.
	pr := s.provider(prov)
	pr.Stats.Failed, pr.Stats.ConsecutiveTimeouts = 1, 1
	pr.Stats.FailedValue = math.NewInt(10_000)
	must(t, s.k.Providers.Set(s.ta.Ctx, pr.Address, pr))
	must(t, s.k.RecordBeacon(s.ta.Ctx, setOf(n), nil))
	j := s.job(id)
	gas := s.msgGas(func() {
		_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: j.ExpectedChunkCount})
		must(t, err)
	})
	limit := chainclient.MsgsGasLimit(&types.MsgSubmitResult{})
	t.Logf("submission of a gpt job (record %d bytes) sampled at %d bps with %d validators: %d gas; the agent signs at most %d", j.Size(), keeper.SampleRateBps(s.provider(prov), s.params(), s.height()), n, gas, limit)
	if gas > limit {
		t.Errorf("MsgSubmitResult uses %d gas (the ante's signature and fee not counted), over the %d the provider agent can sign for it: its result is never delivered", gas, limit)
	}
}
