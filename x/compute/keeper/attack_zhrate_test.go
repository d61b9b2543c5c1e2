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
	s, prov, a, b, _, _ := twoJobsAtTheirDeadline(t, 30)
	ja := s.job(a)
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
	if now <= s.params().SampleRateFloorBps {
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
