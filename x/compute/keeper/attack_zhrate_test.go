package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackZeroHeightExportLiftsTheChargedRateCap. A result submitted at D
// pays for its draw at the winner's rate then (charged_rate_bps, the
// floor here), and drawRate caps the draw at that rate unless the winner
// was slashed for fraud since the submission (last_slash_height ≥
// submitted_height). The winner's other job times out in D's EndBlocker,
// which raises its rate; the chain is exported for a zero-height restart
// after block D, before the draw (due at D+1). PrepareForZeroHeight
// rebases submitted_height D to 0 and a last_slash_height of a winner never
// slashed stays 0, so 0 ≥ 0 reads as "slashed since the submission": the
// cap is gone and the restarted chain draws the result at the raised rate,
// checks no one paid for (the very case
// TestAttackTimeoutBetweenSubmissionAndDrawRaisesTheUnpaidRate closed),
// and a different decision than the chain would have made. Honest outcome:
// the draw's rate is the same with or without the restart. Now drawRate
// reads a last_slash_height of 0 as no slash.
func TestAttackZeroHeightExportLiftsTheChargedRateCap(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 2_000
	p.VerificationFeePerSample = coin(0)
	s.setParams(p)
	must(t, s.k.RecordBeacon(s.ta.Ctx, setOf(30), nil))
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	a := s.create(req, verifyPrice)
	b := s.create(req, verifyPrice)
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
	_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: a, OutputRoot: root32, ChunkCount: ja.ExpectedChunkCount})
	must(t, err)
	s.next(1) // block D: B times out in its EndBlocker; A's draw is due at D+1
	ja = s.job(a)
	if st := s.job(b).State; st == types.JobState_JOB_STATE_ASSIGNED {
		t.Fatalf("set-up: job B is still %s", st)
	}
	if ja.Sample.Decided || !ja.Sample.RateCharged {
		t.Fatalf("set-up: A's sample %+v", ja.Sample)
	}
	now := keeper.SampleRateBps(s.provider(prov), s.params(), s.height())
	if now <= p.SampleRateFloorBps {
		t.Fatalf("set-up: B's timeout left the rate at %d bps", now)
	}
	want := keeper.DrawRate(ja, s.provider(prov), now)

	// The zero-height export after block D.
	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx.WithBlockHeight(s.height()-1)))
	ja2, p2 := s.job(a), s.provider(prov)
	got := keeper.DrawRate(ja2, p2, keeper.SampleRateBps(p2, s.params(), 1))
	if got != want {
		t.Errorf("A's draw on the restarted chain runs at %d bps; without the restart %d bps (charged for %d bps; submitted_height %d, last_slash_height %d)",
			got, want, ja2.Sample.ChargedRateBps, ja2.Result.SubmittedHeight, p2.Stats.LastSlashHeight)
	}
}
