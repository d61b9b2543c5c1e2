package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackNewcomerPaidWhenEveryoneVotedInTheQuorumBlock: the usual case,
// every validator of the set votes in the block that reaches the quorum:
// validators 1–3 (7 each of 30) VALID, validator 4 (9) INVALID. Nobody had
// not yet voted, so the tally's quorum_absent is empty, and gracePower reads
// an empty list as "none recorded" and counts a grace verdict at its full
// power. A validator bonded after the quorum (consensus address 5, 100 of a
// set of 130, its operator the attacker) votes VALID in the grace: it is
// counted at 100, payVerificationFee caps it at what the quorum's 30 leaves
// (30 − 21 = 9) and pays it 9/30 of the 400 fee, 120 — validator 4's
// INVALID share, which the rule says is burned. Stake bonded after a job's
// quorum must earn nothing of its fee (economics row 25).
func TestAttackNewcomerPaidWhenEveryoneVotedInTheQuorumBlock(t *testing.T) {
	s, ops, req, prov, id := gracedJob(t, types.DefaultVerdictGraceBlocks)
	attacker := sdk.AccAddress([]byte("newcomer-operator-05"))
	s.k.StakingKeeper.(fakeValidators).ops[string([]byte{5})] = attacker
	l := s.ledger(append([]sdk.AccAddress{req, prov, attacker}, ops...)...)

	quorum := []types.ValidatorVerdicts{{ConsAddress: []byte{4}, Power: 9,
		Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}}}
	for v := byte(1); v <= 3; v++ {
		quorum = append(quorum, types.ValidatorVerdicts{ConsAddress: []byte{v}, Power: 7,
			Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}})
	}
	must(t, s.applyVerdicts(30, quorum))
	if q := s.tally(id); q.QuorumTotalPower != 30 || q.QuorumOutcome != types.Verdict_VERDICT_VALID {
		t.Fatalf("quorum %d / %s, want 30 / VALID", q.QuorumTotalPower, q.QuorumOutcome)
	}
	s.next(1)
	must(t, s.applyVerdicts(130, []types.ValidatorVerdicts{{ConsAddress: []byte{5}, Power: 100,
		Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}}}))
	s.inv()
	s.graceOver(id)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	l.delta("validator bonded after the quorum (its operator)", attacker, 0)
	l.wantFullSettled("everyone voted in the quorum block", req, prov, ops,
		[]string{"validator 1", "validator 2", "validator 3", "validator 4 (INVALID)"}, []int64{93, 93, 93, 0}, 121)
}
