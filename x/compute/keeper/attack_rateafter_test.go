package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackTimeoutBetweenSubmissionAndDrawRaisesTheUnpaidRate: the winner
// pays for the checks its record adds above the floor when it submits
// (chargeRiskyWinner, at the rate of its record then), but the draw samples
// it at the rate of its record at the draw (decideSample), a block later
// (or BeaconDrawHeights + beacon_window_blocks with the beacon). A new
// provider wins jobs A and B with the same execution deadline D, submits
// A's result in block D (charged nothing: its record is clean, the rate is
// the floor) and lets B time out in D's EndBlocker: its failed_value makes
// A's draw at D+1 run at ~100 %. Every validator checks A; the requester
// paid for the floor's 20 % of the verdicts, the winner for none. With N
// such A's the unpaid verdict work is 80 % × N × set × VerdictGas for one
// timeout. The honest outcome: the verdict gas charged for A (create +
// submission) covers the rate its draw runs at. Now the draw runs at most
// at the rate the submission paid for (JobSample.charged_rate_bps), unless
// the winner was slashed for fraud since.
func TestAttackTimeoutBetweenSubmissionAndDrawRaisesTheUnpaidRate(t *testing.T) {
	const n = 30
	s, prov, a, b, charged, perVerdict := twoJobsAtTheirDeadline(t, n)
	ja := s.job(a)
	charged += s.verdictGas(func() {
		_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: a, OutputRoot: root32, ChunkCount: ja.ExpectedChunkCount})
		must(t, err)
	})
	s.next(1) // D's EndBlocker: B times out; D+1's BeginBlocker: A's draw
	if st := s.job(b).State; st == types.JobState_JOB_STATE_ASSIGNED {
		t.Fatalf("set-up: job B is still %s", st)
	}
	for i := 0; i < 3 && !s.job(a).Sample.Decided; i++ {
		s.next(1)
	}
	ja = s.job(a)
	if !ja.Sample.Decided {
		t.Fatalf("set-up: A's draw has not run (%s, decide height %d, now %d)", ja.State, ja.Sample.DecideHeight, s.height())
	}
	// The rate its draw ran at: its record's now (raised by B's timeout),
	// capped at the rate its submission paid for.
	now := keeper.SampleRateBps(s.provider(prov), s.params(), s.height())
	if now <= s.params().SampleRateFloorBps {
		t.Fatalf("set-up: B's timeout left the rate at %d bps", now)
	}
	rate := uint64(keeper.DrawRate(ja, s.provider(prov), now))
	expected := uint64(n) * perVerdict * rate / 10_000
	t.Logf("A drawn at %d bps (selected %t, %s); verdict gas charged for A %d, expected verdict work %d", rate, ja.Sample.Selected, ja.State, charged, expected)
	if charged < expected {
		t.Errorf("A's check runs at %d bps: %d validators' verdicts, %d gas expected; its messages paid %d for them (the floor's share)", rate, n, expected, charged)
	}
}

// twoJobsAtTheirDeadline is a chain with a set of n validators (the floor
// 20 %, no verification fee) where one provider won two jobs, a and b, with
// the same exec deadline, run to that deadline's block. It returns the
// verdict gas a's creation was charged and what one verdict on a costs on
// its record as created.
func twoJobsAtTheirDeadline(t *testing.T, n int) (s *suite, prov sdk.AccAddress, a, b, charged, perVerdict uint64) {
	t.Helper()
	s = newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 2_000
	p.VerificationFeePerSample = coin(0)
	s.setParams(p)
	must(t, s.k.RecordBeacon(s.ta.Ctx, setOf(n), nil))
	req := s.acc(0)
	prov = s.acc(1)
	s.register(prov, verifyBond)
	charged = s.verdictGas(func() { a = s.create(req, verifyPrice) })
	perVerdict = s.job(a).VerdictGas(false) // charged on the record as created
	b = s.create(req, verifyPrice)
	s.commit(prov, a, verifyPrice)
	s.commit(prov, b, verifyPrice)
	for s.height() <= s.job(a).CommitEnd {
		s.next(1)
	}
	must(t, s.reveal(prov, a, verifyPrice))
	must(t, s.reveal(prov, b, verifyPrice))
	for s.job(a).State != types.JobState_JOB_STATE_ASSIGNED || s.job(b).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	ja, jb := s.job(a), s.job(b)
	if ja.ExecDeadline != jb.ExecDeadline {
		t.Fatalf("set-up: deadlines %d and %d differ", ja.ExecDeadline, jb.ExecDeadline)
	}
	for s.height() < ja.ExecDeadline {
		s.next(1)
	}
	return s, prov, a, b, charged, perVerdict
}
