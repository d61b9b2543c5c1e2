package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"

	sdk "github.com/cosmos/cosmos-sdk/types"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// proposeParams submits a gov proposal carrying a MsgUpdateParams with the
// given min lock amount, fully deposited, and returns its id.
func (f *fixture) proposeParams(proposer sdk.AccAddress, minLock int64) uint64 {
	f.t.Helper()
	gp, err := f.ta.GovKeeper.Params.Get(f.ta.Ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	p := types.DefaultParams()
	p.MinLockAmount = math.NewInt(minLock)
	msg, err := govv1.NewMsgSubmitProposal(
		[]sdk.Msg{&types.MsgUpdateParams{Authority: f.k.GetAuthority(), Params: p}},
		gp.MinDeposit, proposer.String(), "", "staking-rewards params", "change min_lock_amount", false)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := govkeeper.NewMsgServerImpl(&f.ta.GovKeeper).SubmitProposal(f.ta.Ctx, msg)
	if err != nil {
		f.t.Fatalf("submit proposal: %v", err)
	}
	return res.ProposalId
}

func (f *fixture) vote(voter sdk.AccAddress, id uint64, option govv1.VoteOption) {
	f.t.Helper()
	if _, err := govkeeper.NewMsgServerImpl(&f.ta.GovKeeper).Vote(f.ta.Ctx, govv1.NewMsgVote(voter, id, option, "")); err != nil {
		f.t.Fatalf("vote: %v", err)
	}
}

// endVoting advances past the voting period and runs the block whose
// EndBlocker tallies.
func (f *fixture) endVoting() {
	f.t.Helper()
	gp, err := f.ta.GovKeeper.Params.Get(f.ta.Ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ta.NextBlockAfter(*gp.VotingPeriod + time.Second)
	f.ta.NextBlock()
}

// delegate has a delegate amount to the fixture's only bonded validator.
func (f *fixture) delegate(a sdk.AccAddress, amount int64) {
	f.t.Helper()
	vals, err := f.ta.StakingKeeper.GetBondedValidatorsByPower(f.ta.Ctx)
	if err != nil || len(vals) != 1 {
		f.t.Fatalf("bonded validators: %v %v", vals, err)
	}
	if _, err := stakingkeeper.NewMsgServerImpl(f.ta.StakingKeeper).Delegate(f.ta.Ctx, &stakingtypes.MsgDelegate{
		DelegatorAddress: a.String(), ValidatorAddress: vals[0].OperatorAddress, Amount: uaic(amount),
	}); err != nil {
		f.t.Fatal(err)
	}
}

// decide has no vote No and yes vote Yes on proposal id, runs its tally and
// returns the proposal.
func (f *fixture) decide(id uint64, no, yes sdk.AccAddress) govv1.Proposal {
	f.t.Helper()
	f.vote(no, id, govv1.OptionNo)
	f.vote(yes, id, govv1.OptionYes)
	f.endVoting()
	p, err := f.ta.GovKeeper.Proposals.Get(f.ta.Ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// TestGovernanceLockWeightTurnsOutcome: bonded stake is 1 AIC (the
// validator's) plus alice's 0.3 AIC delegation. alice votes No; bob, who has
// no stake, holds a 1-year lock of 1 AIC (weight 2 AIC) and votes Yes.
//   - with the lock: power 2.3 of 1.3 + 2 = 3.3 (quorum 69.7%), Yes 2/2.3 → PASSED;
//   - after bob begins unlocking (weight 0): power 0.3 of 1.3 (23% < 33.4%
//     quorum) → REJECTED, though it is the same votes.
func TestGovernanceLockWeightTurnsOutcome(t *testing.T) {
	f := setup(t, 3)
	alice, bob, proposer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address

	bondedBefore, _ := f.ta.StakingKeeper.TotalBondedTokens(f.ta.Ctx)
	f.delegate(alice, 300_000)
	lockID := f.mustLock(bob, 1_000_000, year)
	f.ta.NextBlock()

	vp, err := f.q.VotingPower(f.ta.Ctx, &types.QueryVotingPowerRequest{Address: bob.String()})
	if err != nil || !vp.Total.Equal(math.LegacyNewDec(2_000_000)) || !vp.Delegated.IsZero() {
		t.Fatalf("bob's voting power %+v %v", vp, err)
	}
	vp, err = f.q.VotingPower(f.ta.Ctx, &types.QueryVotingPowerRequest{Address: alice.String()})
	if err != nil || !vp.Delegated.Equal(math.LegacyNewDec(300_000)) || !vp.LockWeight.IsZero() {
		t.Fatalf("alice's voting power %+v %v", vp, err)
	}

	// Proposal 1: with bob's lock weight.
	p1 := f.decide(f.proposeParams(proposer, 7_000_000), alice, bob)
	if p1.Status != govv1.StatusPassed {
		t.Fatalf("proposal 1 status %s (tally %+v, failed reason %q), want PASSED", p1.Status, p1.FinalTallyResult, p1.FailedReason)
	}
	if p1.FinalTallyResult.YesCount != "2000000" || p1.FinalTallyResult.NoCount != "300000" {
		t.Fatalf("proposal 1 tally %+v, want yes 2000000 (lock weight) no 300000 (delegation)", p1.FinalTallyResult)
	}
	params, _ := f.k.GetParams(f.ta.Ctx)
	if !params.MinLockAmount.Equal(math.NewInt(7_000_000)) {
		t.Fatalf("min lock amount %s after the passed proposal, want 7000000", params.MinLockAmount)
	}
	if bonded, _ := f.ta.StakingKeeper.TotalBondedTokens(f.ta.Ctx); !bonded.Equal(bondedBefore.AddRaw(300_000)) {
		t.Fatalf("bonded %s, want %s", bonded, bondedBefore.AddRaw(300_000))
	}

	// Proposal 2: bob's lock is unlocking, so its weight is zero.
	if _, err := f.k.BeginUnlock(f.ta.Ctx, bob, lockID); err != nil {
		t.Fatal(err)
	}
	p2 := f.decide(f.proposeParams(proposer, 9_000_000), alice, bob)
	if p2.Status != govv1.StatusRejected {
		t.Fatalf("proposal 2 status %s (tally %+v), want REJECTED (no quorum without the lock)", p2.Status, p2.FinalTallyResult)
	}
	params, _ = f.k.GetParams(f.ta.Ctx)
	if !params.MinLockAmount.Equal(math.NewInt(7_000_000)) {
		t.Fatalf("min lock amount %s changed by a rejected proposal", params.MinLockAmount)
	}
}

// TestGovQuorumDenominator checks the staking keeper x/gov sees: bonded
// stake plus total lock weight.
func TestGovQuorumDenominator(t *testing.T) {
	f := setup(t, 1)
	f.mustLock(f.ta.Accounts[0].Address, 4_000_000, 90*24*time.Hour) // weight 6M
	bonded, _ := f.ta.StakingKeeper.TotalBondedTokens(f.ta.Ctx)
	got, err := newGovStakingKeeper(f).TotalBondedTokens(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(bonded.AddRaw(6_000_000)) {
		t.Fatalf("gov's total bonded %s, want %s + 6000000", got, bonded)
	}
}

// TestGovTallyKeepsValidatorInheritance: carol runs a second validator (1
// AIC self-delegated) and votes Yes; bob delegated 0.5 AIC to it and does not
// vote, so carol's validator votes his shares too (the SDK's inheritance);
// alice has no stake but a 1 AIC one-year lock (weight 2 AIC) and votes No.
// Tally: Yes 1.5 AIC, No 2 AIC.
func TestGovTallyKeepsValidatorInheritance(t *testing.T) {
	f := setup(t, 4)
	alice, bob, carol, proposer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address, f.ta.Accounts[3].Address
	sms := stakingkeeper.NewMsgServerImpl(f.ta.StakingKeeper)
	valAddr := sdk.ValAddress(carol)
	create, err := stakingtypes.NewMsgCreateValidator(valAddr.String(), ed25519.GenPrivKey().PubKey(), uaic(1_000_000),
		stakingtypes.NewDescription("carol", "", "", "", ""),
		stakingtypes.NewCommissionRates(math.LegacyNewDecWithPrec(1, 1), math.LegacyNewDecWithPrec(2, 1), math.LegacyNewDecWithPrec(1, 2)),
		math.OneInt())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sms.CreateValidator(f.ta.Ctx, create); err != nil {
		t.Fatal(err)
	}
	if _, err := sms.Delegate(f.ta.Ctx, &stakingtypes.MsgDelegate{
		DelegatorAddress: bob.String(), ValidatorAddress: valAddr.String(), Amount: uaic(500_000),
	}); err != nil {
		t.Fatal(err)
	}
	f.mustLock(alice, 1_000_000, year)
	f.ta.NextBlock() // the staking EndBlocker bonds carol's validator
	val, err := f.ta.StakingKeeper.GetValidator(f.ta.Ctx, valAddr)
	if err != nil || !val.IsBonded() {
		t.Fatalf("carol's validator not bonded: %v %v", val.Status, err)
	}

	id := f.proposeParams(proposer, 3_000_000)
	f.vote(carol, id, govv1.OptionYes)
	f.vote(alice, id, govv1.OptionNo)
	f.endVoting()
	p, err := f.ta.GovKeeper.Proposals.Get(f.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.FinalTallyResult.YesCount != "1500000" || p.FinalTallyResult.NoCount != "2000000" {
		t.Fatalf("tally %+v, want yes 1500000 (validator with inherited delegation) no 2000000 (lock)", p.FinalTallyResult)
	}
	if p.Status != govv1.StatusRejected {
		t.Fatalf("status %s, want REJECTED (Yes 1.5 of 3.5)", p.Status)
	}
}

// TestGovTallySkipsMalformedWeight (item 12): a vote whose option weight
// does not parse (x/gov checks weights when a vote is cast, so only a
// corrupt store or a migration can hold one) counts for nothing, as in the
// SDK's tally; it does not fail the tally, and so never the EndBlocker.
func TestGovTallySkipsMalformedWeight(t *testing.T) {
	f := setup(t, 3)
	alice, bob, proposer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 1_000_000, 90*24*time.Hour) // weight 1.5M
	f.mustLock(bob, 1_000_000, year)              // weight 2M
	f.ta.NextBlock()
	id := f.proposeParams(proposer, 8_000_000)
	f.vote(bob, id, govv1.OptionYes)
	bad := govv1.NewVote(id, alice, govv1.WeightedVoteOptions{{Option: govv1.OptionNo, Weight: "not-a-number"}}, "")
	if err := f.ta.GovKeeper.Votes.Set(f.ta.Ctx, collections.Join(id, alice), bad); err != nil {
		t.Fatal(err)
	}
	p, err := f.ta.GovKeeper.Proposals.Get(f.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	cache, _ := f.ta.Ctx.CacheContext()
	total, results, err := f.k.CalculateVoteResultsAndVotingPowerFn()(cache, f.ta.GovKeeper, p, map[string]govv1.ValidatorGovInfo{})
	if err != nil {
		t.Fatalf("tally with a malformed weight: %v", err)
	}
	if !results[govv1.OptionYes].Equal(math.LegacyNewDec(2_000_000)) || !results[govv1.OptionNo].IsZero() ||
		!total.Equal(math.LegacyNewDec(3_500_000)) {
		t.Fatalf("tally: total %s, results %v; want yes 2000000, no 0, total 3500000", total, results)
	}
	f.endVoting() // the EndBlocker tallies it for real
	p, err = f.ta.GovKeeper.Proposals.Get(f.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status == govv1.StatusVotingPeriod || p.FinalTallyResult.YesCount != "2000000" || p.FinalTallyResult.NoCount != "0" {
		t.Fatalf("proposal after the tally: %s %+v", p.Status, p.FinalTallyResult)
	}
}
