package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"

	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackVoteWithAWeekLock. Every lock's weight counted in governance,
// so a voter with no stake could lock for the shortest tier (7 days) once a
// proposal was up, vote with full weight, and begin unlocking the block
// after the tally: a third of the capital time the same weight costs
// through staking (21 days of unbonding). Here alice's 0.3 AIC delegation
// votes No; bob locks 1 AIC for a week during the voting period and votes
// Yes: the week lock turned a proposal that lacked quorum (0.3 of 1.3)
// into PASSED (1 of 1.3 + 1, Yes). Now only locks of at least
// min_vote_lock_duration (21 days) vote and count in the quorum's
// denominator: the proposal is REJECTED and the params are untouched; bob
// still earns rewards on the lock. A 30-day lock does vote: governance
// weight costs at least the capital time of a delegation.
func TestAttackVoteWithAWeekLock(t *testing.T) {
	f := setup(t, 3)
	alice, bob, proposer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.delegate(alice, 300_000)
	f.ta.NextBlock()

	id := f.proposeParams(proposer, 7_000_000)
	before := f.ta.Balance(bob, app.BondDenom)
	weekLock := f.mustLock(bob, 1_000_000, week) // during the voting period
	if got := f.ta.Balance(bob, app.BondDenom); !before.Sub(got).Equal(math.NewInt(1_000_000)) {
		t.Fatalf("bob's balance %s after locking 1000000 of %s", got, before)
	}
	p := f.decide(id, alice, bob)
	if p.Status != govv1.StatusRejected || p.FinalTallyResult.YesCount != "0" || p.FinalTallyResult.NoCount != "300000" {
		t.Fatalf("proposal with a week lock: %s, tally %+v; want REJECTED (no quorum), yes 0, no 300000", p.Status, p.FinalTallyResult)
	}
	params, _ := f.k.GetParams(f.ta.Ctx)
	if !params.MinLockAmount.Equal(types.DefaultParams().MinLockAmount) {
		t.Fatalf("min lock amount %s changed by a rejected proposal", params.MinLockAmount)
	}
	l, err := f.k.GetLock(f.ta.Ctx, weekLock)
	if err != nil || l.Votes || !l.Weight.Equal(math.NewInt(1_000_000)) {
		t.Fatalf("week lock %+v %v: want reward weight 1000000 and no vote", l, err)
	}
	f.checkInvariants()

	// A 30-day lock (×1.25) votes.
	id2 := f.proposeParams(proposer, 7_000_000)
	f.mustLock(bob, 1_000_000, 30*24*time.Hour)
	p2 := f.decide(id2, alice, bob)
	if p2.Status != govv1.StatusPassed || p2.FinalTallyResult.YesCount != "1250000" {
		t.Fatalf("proposal with a 30-day lock: %s, tally %+v; want PASSED with yes 1250000", p2.Status, p2.FinalTallyResult)
	}
	f.checkInvariants()
}
