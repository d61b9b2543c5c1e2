package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// TestAttackSpamDelegationsMakeTallyReadEveryBondedValidator: the fix of
// TestAttackSpamDelegationsMakeEveryTallyWalkThem bounds tallyVote's walk of
// a voter's delegations at len(validators) and then reads the voter's
// delegation to every bonded validator by point (bondedDelegations). That
// test tallies with an empty validator map (walk 0), so it never sees the
// cost on a real chain: there x/gov passes the whole bonded set (up to
// max_validators, 100 by default), and a voter holding one delegation more
// than that (1 uaic each, to validators of 1 uaic anyone can create, made
// once and reused on every proposal) makes the EndBlocker's tally walk 101
// delegations and make 100 point reads per vote. Here, with the 100
// validators x/gov itself would pass, a vote whose store gas does not
// depend on the delegations makes the tally read ~27x the vote's gas, on
// every proposal it votes on. The rule the earlier test states: the tally
// must not cost more per vote than (twice) the vote paid for. The tally's
// reads are the voter's bonded delegations, which it must count, so it is
// the vote that pays for them when cast (GovHooks.AfterProposalVote).
func TestAttackSpamDelegationsMakeTallyReadEveryBondedValidator(t *testing.T) {
	f := setup(t, 4)
	attacker, proposer, staker := f.ta.Accounts[1].Address, f.ta.Accounts[2].Address, f.ta.Accounts[3].Address

	// A full bonded set: 99 validators of one unit of power join the
	// fixture's own at the next block.
	f.delegateToNewValidators(staker, 99, 1_000_000, func(int) int64 { return 1 })
	f.ta.NextBlock()

	// The map x/gov's Tally passes (getCurrentValidators).
	bonded := func() map[string]govv1.ValidatorGovInfo {
		m := map[string]govv1.ValidatorGovInfo{}
		must(t, f.ta.StakingKeeper.IterateBondedValidatorsByPower(f.ta.Ctx, func(_ int64, v stakingtypes.ValidatorI) bool {
			bz, err := f.ta.StakingKeeper.ValidatorAddressCodec().StringToBytes(v.GetOperator())
			must(t, err)
			m[v.GetOperator()] = govv1.NewValidatorGovInfo(bz, v.GetBondedTokens(), v.GetDelegatorShares(),
				math.LegacyZeroDec(), govv1.WeightedVoteOptions{})
			return false
		}))
		return m
	}
	if n := len(bonded()); n < 100 {
		t.Fatalf("set-up: %d bonded validators, want 100", n)
	}

	voteAndTally := func() (vote, tally uint64) { return f.voteAndTally(attacker, proposer, bonded) }

	f.spamDelegations(attacker, 1)
	vote1, tally1 := voteAndTally()
	f.spamDelegations(attacker, 100) // one past the walk
	voteN, tallyN := voteAndTally()
	t.Logf("vote gas %d -> %d, tally store gas %d -> %d (1 -> 101 delegations, 100 bonded validators)", vote1, voteN, tally1, tallyN)
	if tallyN > 2*voteN {
		t.Fatalf("one vote costing %d gas (%d with 1 delegation) makes the tally read %d gas of state (%d with 1): "+
			"past the walk, bondedDelegations reads the voter's delegation to each of the %d bonded validators, "+
			"in the EndBlocker, on every proposal it votes on",
			voteN, vote1, tallyN, tally1, len(bonded()))
	}
}
