package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackPowerBoughtAfterTheQuorumDilutesHonestValidators: validators 1,
// 2 and 3 (7 each of 30) reach the VALID quorum of a FULL job (fee 400); its
// decision waits out the grace. In a block of the grace validator 4 (9, left
// out of the quorum block) adds its VALID verdict, which re-tallies the job
// at that commit's powers, and by then the attacker has added stake:
//   - validator 1 bonded more (7 → 100, the set 123). The counted verdicts
//     were raised to the later commit's powers and the fee shared against
//     the counted 123: validator 1 took 325 of the 400, validators 2, 3 and
//     4 got 22, 22 and 29;
//   - a new validator 5 (100, the set 130) voted VALID in the grace: the fee
//     was shared against 130, and 5's operator (none here: the reward pool)
//     took 307.
//
// Each validator's pay is its share of the set that decided (30): 93 for 7
// and 120 for 9; stake that arrives after the decision earns nothing of it.
func TestAttackPowerBoughtAfterTheQuorumDilutesHonestValidators(t *testing.T) {
	names := []string{"validator 1", "validator 2", "validator 3", "validator 4 (in the grace)"}
	for _, c := range []struct {
		what  string
		grace []types.ValidatorVerdicts
		total int64
	}{
		{"validator 1 bonds more", []types.ValidatorVerdicts{{ConsAddress: []byte{1}, Power: 100}}, 123},
		{"a new validator votes in the grace", []types.ValidatorVerdicts{
			{ConsAddress: []byte{5}, Power: 100, Verdicts: nil}}, 130},
	} {
		s, ops, req, prov, id := gracedJob(t, types.DefaultVerdictGraceBlocks)
		l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
		// The quorum block: validators 1–3 VALID, validator 4 in the set
		// (9 of 30) with no verdict yet.
		quorum := []types.ValidatorVerdicts{{ConsAddress: []byte{4}, Power: 9}}
		for v := byte(1); v <= 3; v++ {
			quorum = append(quorum, types.ValidatorVerdicts{ConsAddress: []byte{v}, Power: 7,
				Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}})
		}
		must(t, s.applyVerdicts(30, quorum))
		if q := s.tally(id); q.QuorumTotalPower != 30 || q.QuorumOutcome != types.Verdict_VERDICT_VALID {
			t.Fatalf("%s: quorum %d / %s, want 30 / VALID", c.what, q.QuorumTotalPower, q.QuorumOutcome)
		}
		s.next(1)
		votes := append([]types.ValidatorVerdicts(nil), c.grace...)
		for i := range votes {
			if votes[i].ConsAddress[0] == 5 {
				votes[i].Verdicts = []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}
			}
		}
		votes = append(votes, types.ValidatorVerdicts{ConsAddress: []byte{4}, Power: 9,
			Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}})
		must(t, s.applyVerdicts(c.total, votes))
		s.inv()
		s.graceOver(id)
		s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
		l.wantFullSettled(c.what, req, prov, ops, names, []int64{93, 93, 93, 120}, 1)
	}
}

func (s *suite) tally(id uint64) types.VerificationTally {
	s.t.Helper()
	t, err := s.k.Tallies.Get(s.ta.Ctx, id)
	must(s.t, err)
	return t
}
