package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackUpgradeMidGraceBurnsTheLeftOutValidatorsShare: a chain at
// version 8 (the grace, Migrate7to8) has a FULL job (fee 400) in its
// quorum's grace when it upgrades: validator 1, proposing the quorum block,
// left validator 4's verdict (9 of 30) out, and validators 1–3 (7 each)
// reached the quorum. Version 8's tally has no quorum_absent (the field is
// new), and Migrate8to9 keeps the graced tally as it is ("its outcome and
// payees are recorded"). After af4e1ae an empty quorum_absent reads as
// "every validator had voted", so validator 4's verdict, included by the
// next proposer within the grace as the grace promises
// (TestAttackProposerLeavesAValidatorOutOfTheQuorumBlock), is counted at
// power 0: its 120 is burned instead of paid. Before af4e1ae (a1a8e4d
// alone) an empty list fell back to the verdict's power, capped at the
// quorum's set, and validator 4 was paid 120. The same holds for a
// version-8 genesis export imported mid-grace (validQuorum accepts an
// empty list).
func TestAttackUpgradeMidGraceBurnsTheLeftOutValidatorsShare(t *testing.T) {
	s, ops, req, prov, id := gracedJob(t, types.DefaultVerdictGraceBlocks)
	l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)

	s.set = append(s.set, types.ValidatorVerdicts{ConsAddress: []byte{4}, Power: 9}) // in every commit
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 7, 7, 7)                          // the quorum block, validator 4's verdict left out
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)

	// Make it the version-8 store the upgrade finds: a tally without
	// quorum_absent, voter keys without values.
	tally := s.tally(id)
	if tally.QuorumTotalPower != 30 || tally.QuorumOutcome != types.Verdict_VERDICT_VALID {
		t.Fatalf("quorum %d / %s, want 30 / VALID", tally.QuorumTotalPower, tally.QuorumOutcome)
	}
	tally.QuorumAbsent, tally.QuorumAbsentRecorded = nil, false
	must(t, s.k.Tallies.Set(s.ta.Ctx, id, tally))
	s.upgradeFromVersion8(id)

	s.next(1)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 4, 9) // the next proposer includes it, within the grace
	s.graceOver(id)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	l.wantFullSettled("a grace that spans the 8→9 upgrade", req, prov, ops,
		[]string{"validator 1 (the proposer)", "validator 2", "validator 3", "validator 4 (left out, counted in the grace)"},
		[]int64{93, 93, 93, 120}, 1)
}
