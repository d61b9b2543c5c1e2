package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"

	sdk "github.com/cosmos/cosmos-sdk/types"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// votingPowerGas is the store gas one VotingPower query for addr costs.
func (f *fixture) votingPowerGas(addr sdk.AccAddress) uint64 {
	f.t.Helper()
	ctx := f.ta.Ctx.WithGasMeter(storeGasMeter())
	if _, err := f.q.VotingPower(ctx, &types.QueryVotingPowerRequest{Address: addr.String()}); err != nil {
		f.t.Fatal(err)
	}
	return ctx.GasMeter().GasConsumed()
}

// TestAttackDelegationsToSpamValidatorsInflateVotingPowerQuery: the
// VotingPower query (grpc_query.go, DelegatedVotingPower in gov.go) walks
// every delegation of the address, with no page and no cap, and reads each
// delegation's validator. Validators cost nothing to create here (no
// minimum self-delegation beyond 1 uaic, no gate in the app), so the number
// of delegations one address may hold is bounded by nothing the chain
// charges for: an attacker creates N validators of 1 uaic each (one
// MsgCreateValidator each, unbonded ones included) and delegates 1 uaic to
// each from one address; every public node that answers VotingPower for it
// (a wallet's or explorer's governance page: query gas is unlimited by
// default) then reads 2N entries in one request. The project rule is that
// no query reads state that grows with what an attacker can create without
// a capped page; the answer's cost must not grow with the delegations.
func TestAttackDelegationsToSpamValidatorsInflateVotingPowerQuery(t *testing.T) {
	f := setup(t, 2)
	attacker := f.ta.Accounts[1].Address

	delegateTo := func(n int) { f.spamDelegations(attacker, n) }
	delegateTo(1)
	small := f.votingPowerGas(attacker)
	const many = 200
	delegateTo(many - 1)
	large := f.votingPowerGas(attacker)
	delegateTo(many)
	larger := f.votingPowerGas(attacker)
	t.Logf("VotingPower store gas: %d with 1 delegation, %d with %d, %d with %d (attacker paid a MsgCreateValidator and a MsgDelegate of 1 uaic each)",
		small, large, many, larger, 2*many)
	// Now the query reads at most keeper's walk of delegations, then the
	// bonded set's: its cost stops growing with the address's delegations.
	if larger > large*11/10 {
		t.Fatalf("VotingPower costs %d gas with %d delegations, %d with %d: the query walks every delegation of the address "+
			"and reads each validator, unpaged, so delegations to validators anyone can create for 1 uaic make it grow without bound",
			larger, 2*many, large, many)
	}
}

// TestVotingPowerPastTheWalkCountsTheBondedDelegations: an address with
// more delegations than VotingPower walks gets the power of its
// delegations to bonded validators, read by point, as a walk of all of
// them counts it.
func TestVotingPowerPastTheWalkCountsTheBondedDelegations(t *testing.T) {
	f := setup(t, 2)
	holder := f.ta.Accounts[1].Address
	// Validators of one unit of power (bonded at the next block), each
	// delegated 100 + i.
	f.delegateToNewValidators(holder, 70, 1_000_000, func(i int) int64 { return int64(100 + i) })
	f.ta.NextBlock() // the new validators join the bonded set
	want, bonded := math.LegacyZeroDec(), 0
	must(t, f.ta.StakingKeeper.IterateDelegations(f.ta.Ctx, holder, func(_ int64, d stakingtypes.DelegationI) bool {
		valAddr, err := sdk.ValAddressFromBech32(d.GetValidatorAddr())
		must(t, err)
		val, err := f.ta.StakingKeeper.GetValidator(f.ta.Ctx, valAddr)
		must(t, err)
		if val.IsBonded() {
			bonded++
			want = want.Add(d.GetShares().MulInt(val.GetBondedTokens()).Quo(val.GetDelegatorShares()))
		}
		return false
	}))
	if bonded <= 64 {
		t.Fatalf("set-up: %d delegations to bonded validators, want more than the walk", bonded)
	}
	got, err := f.k.DelegatedVotingPower(f.ta.Ctx, holder)
	if err != nil || !got.Equal(want) {
		t.Fatalf("voting power %s (%v), want %s over %d bonded delegations", got, err, want, bonded)
	}
}

// TestAttackSpamDelegationsMakeEveryTallyWalkThem: the same walk runs in
// the EndBlocker that tallies a proposal (tallyVote: every delegation of
// every voter, CalculateVoteResultsAndVotingPowerFn). The attacker pays
// for N delegations to N spam validators once; from then on a single vote
// per proposal, whose gas does not depend on N, makes that proposal's
// tally read N delegations, in an EndBlocker that no gas limit bounds, for
// every proposal it votes on. The tally must not cost more per vote than
// the vote paid for.
func TestAttackSpamDelegationsMakeEveryTallyWalkThem(t *testing.T) {
	f := setup(t, 3)
	attacker, proposer := f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	delegateTo := func(n int) { f.spamDelegations(attacker, n) }
	// voteAndTally has the attacker vote on a fresh proposal and returns the
	// vote's gas and the tally's, the tally run on a branch.
	voteAndTally := func() (vote, tally uint64) {
		return f.voteAndTally(attacker, proposer, func() map[string]govv1.ValidatorGovInfo { return map[string]govv1.ValidatorGovInfo{} })
	}

	delegateTo(1)
	vote1, tally1 := voteAndTally()
	const many = 200
	delegateTo(many - 1)
	voteN, tallyN := voteAndTally()
	t.Logf("vote gas %d -> %d, tally store gas %d -> %d (1 -> %d delegations)", vote1, voteN, tally1, tallyN, many)
	if tallyN > 2*tally1 || tallyN > 2*voteN {
		t.Fatalf("one vote costing %d gas (%d with 1 delegation) makes the tally read %d gas of state (%d with 1): "+
			"tallyVote walks all %d delegations of the voter in the EndBlocker, on every proposal it votes on",
			voteN, vote1, tallyN, tally1, many)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// spamDelegations has delegator delegate 1 uaic to each of n new
// validators of 1 uaic (unbonded: below one unit of power).
func (f *fixture) spamDelegations(delegator sdk.AccAddress, n int) {
	f.t.Helper()
	f.delegateToNewValidators(delegator, n, 1, func(int) int64 { return 1 })
}

// delegateToNewValidators creates n validators of selfBond uaic each and
// has delegator delegate amount(i) uaic to the i-th.
func (f *fixture) delegateToNewValidators(delegator sdk.AccAddress, n int, selfBond int64, amount func(i int) int64) {
	t := f.t
	t.Helper()
	sms := stakingkeeper.NewMsgServerImpl(f.ta.StakingKeeper)
	for i := range n {
		op := f.ta.NewAccount(sdk.NewCoins(uaic(2*selfBond + 10)))
		valAddr := sdk.ValAddress(op.Address)
		create, err := stakingtypes.NewMsgCreateValidator(valAddr.String(), ed25519.GenPrivKey().PubKey(), uaic(selfBond),
			stakingtypes.NewDescription("v", "", "", "", ""),
			stakingtypes.NewCommissionRates(math.LegacyNewDecWithPrec(1, 1), math.LegacyNewDecWithPrec(2, 1), math.LegacyNewDecWithPrec(1, 2)),
			math.OneInt())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sms.CreateValidator(f.ta.Ctx, create); err != nil {
			t.Fatalf("create validator: %v", err)
		}
		if _, err := sms.Delegate(f.ta.Ctx, &stakingtypes.MsgDelegate{
			DelegatorAddress: delegator.String(), ValidatorAddress: valAddr.String(), Amount: uaic(amount(i)),
		}); err != nil {
			t.Fatalf("delegate: %v", err)
		}
	}
}

// voteAndTally has voter vote on a fresh proposal of proposer and returns
// the vote's gas and the tally's (run on a branch, with the validators x/gov
// would pass).
func (f *fixture) voteAndTally(voter, proposer sdk.AccAddress, validators func() map[string]govv1.ValidatorGovInfo) (vote, tally uint64) {
	t := f.t
	t.Helper()
	id := f.proposeParams(proposer, 3_000_000)
	vctx := f.ta.Ctx.WithGasMeter(storeGasMeter())
	if _, err := govkeeper.NewMsgServerImpl(&f.ta.GovKeeper).Vote(vctx, govv1.NewMsgVote(voter, id, govv1.OptionYes, "")); err != nil {
		t.Fatalf("vote: %v", err)
	}
	p, err := f.ta.GovKeeper.Proposals.Get(f.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	cc, _ := f.ta.Ctx.CacheContext()
	tctx := cc.WithGasMeter(storeGasMeter())
	if _, _, err := f.k.CalculateVoteResultsAndVotingPowerFn()(tctx, f.ta.GovKeeper, p, validators()); err != nil {
		t.Fatal(err)
	}
	return vctx.GasMeter().GasConsumed(), tctx.GasMeter().GasConsumed()
}
