package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// vote is one validator's entry in a block's commit: its power and, when it
// votes, its verdict on job id (VERDICT_UNSPECIFIED: in the set, silent).
func vote(id uint64, cons byte, power int64, v types.Verdict) types.ValidatorVerdicts {
	e := types.ValidatorVerdicts{ConsAddress: []byte{cons}, Power: power}
	if v != types.Verdict_VERDICT_UNSPECIFIED {
		e.Verdicts = []types.JobVerdict{{JobId: id, Verdict: v}}
	}
	return e
}

// TestAttackStakeAddedDuringAbortGraceRefundsDatasetFee. An honest winner
// aborts an mlp job whose model server went down; the dataset is served.
// Validators friendly to the requester, below 1/3 of the power in every
// block, vote DATASET_UNAVAILABLE (a lie) so that the requester gets the
// dataset fee back for rows its winner was granted. The honest validators
// vote INPUTS_UNAVAILABLE (188 of 300), but 20 of 300 are offline for the
// abort's grace. The abort stands at once (280 > 100) and, 92 + 20 unheard
// being more than 1/3, waits verdict_grace_blocks with quorum_total_power
// 300 (awaitAbortGrace). In the grace the coalition's power grows by 10
// (a new validator of its own joins the set, or one of its validators
// bonds 10 more) and a coalition validator votes DATASET_UNAVAILABLE: the
// retally counts the coalition's verdicts at the new powers, 102, still
// below 1/3 of the set (102 / 310), but endAbort compares them with the
// power recorded at the quorum: 3 × 102 > 300, so the dataset fee is
// refunded and the owner that served its rows is paid nothing.
// Honest outcome (as without the added stake): the dataset fee the owner's.
func TestAttackStakeAddedDuringAbortGraceRefundsDatasetFee(t *testing.T) {
	const (
		bond = 1_000_000
		DU   = types.Verdict_VERDICT_DATASET_UNAVAILABLE
		IU   = types.Verdict_VERDICT_INPUTS_UNAVAILABLE
		none = types.Verdict_VERDICT_UNSPECIFIED
	)
	for _, c := range []struct {
		what         string
		first, grace []types.ValidatorVerdicts
		firstTotal   int64
		graceTotal   int64
	}{
		{
			what: "a coalition validator joins the set in the grace",
			// 'a' (92) the coalition, 'h' (188) honest, 'o' (20) honest, offline.
			firstTotal: 300,
			first: []types.ValidatorVerdicts{
				vote(0, 'a', 92, DU), vote(0, 'h', 188, IU), vote(0, 'o', 20, none),
			},
			// 'z' (10), the coalition's, joins: 102 of 310.
			graceTotal: 310,
			grace:      []types.ValidatorVerdicts{vote(0, 'z', 10, DU)},
		},
		{
			what: "a coalition validator bonds more in the grace",
			// 'a' (90) and 'b' (2, holds its verdict back) the coalition.
			firstTotal: 300,
			first: []types.ValidatorVerdicts{
				vote(0, 'a', 90, DU), vote(0, 'b', 2, none), vote(0, 'h', 188, IU), vote(0, 'o', 20, none),
			},
			// 'a' bonds 10 more (100), 'b' votes: 102 of 310.
			graceTotal: 310,
			grace:      []types.ValidatorVerdicts{vote(0, 'a', 100, none), vote(0, 'b', 2, DU)},
		},
	} {
		t.Run(c.what, func(t *testing.T) {
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
			apply(c.firstTotal, c.first)
			s.wantState(id, types.JobState_JOB_STATE_ABORTING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
			if tl := s.tally(id); tl.QuorumTotalPower != c.firstTotal {
				t.Fatalf("the abort's standing recorded at %d, want %d", tl.QuorumTotalPower, c.firstTotal)
			}
			s.next(1)
			apply(c.graceTotal, c.grace)
			s.nextPast(id)
			s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
			s.bondOf(prov, bond, 0, 0) // the honest winner is whole
			l.delta("provider's account", prov, 0)
			// The dataset was served and the model was not: the owner of
			// both is paid the dataset fee and its model bond pays it to the
			// requester (model_bond.go); the coalition's lie would have
			// spared the bond (0).
			l.delta("owner that served its dataset, not its model", owner, -marketFee(datasetFee))
			l.delta("requester (the coalition's friend)", req, -creationFee)
		})
	}
}
