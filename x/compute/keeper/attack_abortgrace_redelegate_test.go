package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackRedelegateFromDatasetGoneVoterInAbortGrace. A winner aborts a
// job whose dataset its owner stopped serving. The owner's friendly
// validator 'a' (92 of 300) votes INPUTS_UNAVAILABLE (a lie: the model is
// fine) so that the owner keeps the dataset fee; honest 'h' (70) and 'x'
// (20) vote DATASET_UNAVAILABLE. The abort stands (182 > 100) and waits
// its grace with quorum_total_power 300. In the grace the owner, a
// delegator of 19 on 'x', redelegates it to 'a' (instant, free): 'x' has 1
// power in the next commit, 'a' 111 (capped at its 92), the set still 300.
// Honest 'w' (29) then votes DATASET_UNAVAILABLE: h + x + w = 119 of the
// quorum's 300 found the dataset gone. But retally counts 'x' at
// min(1, 20) = 1 while the total stays the quorum's 300 (standsInGrace), so
// DATASET_UNAVAILABLE is 100, not more than 1/3, and endAbort pays the fee
// to the owner that served nothing. Honest outcome: the dataset fee refunded to the requester.
func TestAttackRedelegateFromDatasetGoneVoterInAbortGrace(t *testing.T) {
	const (
		bond = 1_000_000
		DU   = types.Verdict_VERDICT_DATASET_UNAVAILABLE
		IU   = types.Verdict_VERDICT_INPUTS_UNAVAILABLE
		none = types.Verdict_VERDICT_UNSPECIFIED
	)
	s, req, prov, owner, l, id := abortedJob(t, attackParams(), bond)
	apply := func(total int64, votes []types.ValidatorVerdicts) {
		t.Helper()
		for i := range votes {
			for j := range votes[i].Verdicts {
				votes[i].Verdicts[j].JobId = id
			}
		}
		must(t, s.applyVerdicts(total, votes))
		s.inv()
	}
	apply(300, []types.ValidatorVerdicts{
		vote(0, 'a', 92, IU), vote(0, 'h', 70, DU), vote(0, 'x', 20, DU),
		vote(0, 'w', 29, none), vote(0, 'o', 89, none),
	})
	s.wantState(id, types.JobState_JOB_STATE_ABORTING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	if tl := s.tally(id); tl.QuorumTotalPower != 300 {
		t.Fatalf("the abort's standing recorded at %d, want 300", tl.QuorumTotalPower)
	}
	s.next(1)
	// The owner's 19 moved from 'x' to 'a': 'x' keeps its own 1.
	apply(300, []types.ValidatorVerdicts{
		vote(0, 'a', 111, none), vote(0, 'h', 70, none), vote(0, 'x', 1, none),
		vote(0, 'w', 29, DU), vote(0, 'o', 89, none),
	})
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
	s.bondOf(prov, bond, 0, 0)
	l.delta("provider's account", prov, 0)
	l.delta("owner whose dataset 119 of 300 found gone", owner, 0)
	l.delta("requester", req, -creationFee)
}
