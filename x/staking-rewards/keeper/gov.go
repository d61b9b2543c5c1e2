package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	v1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// Lock-weighted governance.
//
// x/gov's Tally calls a CalculateVoteResultsAndVotingPowerFn for the voters'
// power and then measures quorum as that power over sk.TotalBondedTokens,
// where sk is the staking keeper given to govkeeper.NewKeeper. The custom
// function alone cannot change that denominator, so the app gives x/gov a
// GovStakingKeeper: the real staking keeper whose TotalBondedTokens also
// counts the total lock weight. x/gov uses its staking keeper only in Tally
// (getCurrentValidators, the default tally function, TotalBondedTokens), so
// nothing else in x/gov sees the difference.

// GovStakingKeeper is the staking keeper that x/gov sees: TotalBondedTokens
// is bonded stake plus total lock weight, the quorum's denominator.
type GovStakingKeeper struct {
	govtypes.StakingKeeper
	k Keeper
}

var _ govtypes.StakingKeeper = GovStakingKeeper{}

// NewGovStakingKeeper wraps sk for x/gov.
func NewGovStakingKeeper(sk govtypes.StakingKeeper, k Keeper) GovStakingKeeper {
	return GovStakingKeeper{StakingKeeper: sk, k: k}
}

// TotalBondedTokens returns bonded stake plus the total weight of the locks
// that vote.
func (g GovStakingKeeper) TotalBondedTokens(ctx context.Context) (math.Int, error) {
	bonded, err := g.StakingKeeper.TotalBondedTokens(ctx)
	if err != nil {
		return math.Int{}, err
	}
	w, err := g.k.TotalVoteWeight(ctx)
	if err != nil {
		return math.Int{}, err
	}
	return bonded.Add(w), nil
}

// CalculateVoteResultsAndVotingPowerFn returns x/gov's tally function for
// govkeeper.WithCustomCalculateVoteResultsAndVotingPowerFn. It is the SDK's
// default (v0.53.8 x/gov/keeper/tally.go) — delegations count for the voter and
// are deducted from their validators, whose own vote the remaining delegator
// shares inherit — plus, for every voter, its lock weight split over its vote
// options. Lock weight is not delegated, so validators never inherit it.
func (k Keeper) CalculateVoteResultsAndVotingPowerFn() govkeeper.CalculateVoteResultsAndVotingPowerFn {
	return func(
		ctx context.Context,
		gk govkeeper.Keeper,
		proposal v1.Proposal,
		validators map[string]v1.ValidatorGovInfo,
	) (math.LegacyDec, map[v1.VoteOption]math.LegacyDec, error) {
		t := newTally()
		votesToRemove, err := k.tallyVoters(ctx, gk, proposal.Id, validators, t)
		if err != nil {
			return math.LegacyZeroDec(), nil, fmt.Errorf("error while iterating votes: %w", err)
		}
		for _, key := range votesToRemove {
			if err := gk.Votes.Remove(ctx, key); err != nil {
				return math.LegacyDec{}, nil, fmt.Errorf("error while removing vote (%d/%s): %w", key.K1(), key.K2(), err)
			}
		}
		tallyValidators(validators, t)
		return t.total, t.results, nil
	}
}

// tally is a proposal's running tally: the total voting power and the power
// per vote option.
type tally struct {
	total   math.LegacyDec
	results map[v1.VoteOption]math.LegacyDec
}

func newTally() *tally {
	return &tally{
		total: math.LegacyZeroDec(),
		results: map[v1.VoteOption]math.LegacyDec{
			v1.OptionYes:        math.LegacyZeroDec(),
			v1.OptionAbstain:    math.LegacyZeroDec(),
			v1.OptionNo:         math.LegacyZeroDec(),
			v1.OptionNoWithVeto: math.LegacyZeroDec(),
		},
	}
}

// addPower splits power over the vote options by their weights. An option
// whose weight does not parse (x/gov validates weights when a vote is cast,
// so only a corrupt store holds one) counts for nothing, as in the SDK's
// tally, which ignores the parse error: one bad vote never fails the
// EndBlocker that tallies.
func (t *tally) addPower(options v1.WeightedVoteOptions, power math.LegacyDec) {
	for _, option := range options {
		weight, err := math.LegacyNewDecFromStr(option.Weight)
		if err != nil || weight.IsNegative() {
			continue
		}
		t.results[option.Option] = t.results[option.Option].Add(power.Mul(weight))
	}
}

// tallyVoters counts every vote of the proposal (tallyVote) and returns
// their keys, for x/gov's removal once the walk is over.
func (k Keeper) tallyVoters(ctx context.Context, gk govkeeper.Keeper, proposalID uint64,
	validators map[string]v1.ValidatorGovInfo, t *tally,
) ([]collections.Pair[uint64, sdk.AccAddress], error) {
	rng := collections.NewPrefixedPairRange[uint64, sdk.AccAddress](proposalID)
	var votesToRemove []collections.Pair[uint64, sdk.AccAddress]
	err := gk.Votes.Walk(ctx, rng, func(key collections.Pair[uint64, sdk.AccAddress], vote v1.Vote) (bool, error) {
		if err := k.tallyVote(ctx, vote, validators, t); err != nil {
			return false, err
		}
		votesToRemove = append(votesToRemove, key)
		return false, nil
	})
	return votesToRemove, err
}

// tallyVote counts one vote: a validator's own vote is recorded for
// tallyValidators; the voter's delegations count for it and are deducted
// from their validators; and its lock weight counts for it.
func (k Keeper) tallyVote(ctx context.Context, vote v1.Vote, validators map[string]v1.ValidatorGovInfo, t *tally) error {
	voter, err := k.addressCodec.StringToBytes(vote.Voter)
	if err != nil {
		return err
	}
	valAddrStr, err := k.StakingKeeper.ValidatorAddressCodec().BytesToString(voter)
	if err != nil {
		return err
	}
	if val, ok := validators[valAddrStr]; ok {
		val.Vote = vote.Options
		validators[valAddrStr] = val
	}

	delegations, err := k.bondedDelegations(ctx, voter, len(validators), func(yield func(sdk.ValAddress) error) error {
		for _, v := range sortedKeys(validators) {
			addr, err := k.StakingKeeper.ValidatorAddressCodec().StringToBytes(v)
			if err != nil {
				return err
			}
			if err := yield(addr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, delegation := range delegations {
		valAddrStr := delegation.GetValidatorAddr()
		if val, ok := validators[valAddrStr]; ok {
			val.DelegatorDeductions = val.DelegatorDeductions.Add(delegation.GetShares())
			validators[valAddrStr] = val
			votingPower := delegation.GetShares().MulInt(val.BondedTokens).Quo(val.DelegatorShares)
			t.addPower(vote.Options, votingPower)
			t.total = t.total.Add(votingPower)
		}
	}

	// The voter's own governance weight: its locks that vote.
	lockWeight, err := k.OwnerVoteWeightOf(ctx, voter)
	if err != nil {
		return err
	}
	if lockWeight.IsPositive() {
		power := math.LegacyNewDecFromInt(lockWeight)
		t.addPower(vote.Options, power)
		t.total = t.total.Add(power)
	}
	return nil
}

// tallyValidators counts the validators that voted with the delegator shares
// that did not vote themselves. Sorted iteration keeps the sum's order
// deterministic.
func tallyValidators(validators map[string]v1.ValidatorGovInfo, t *tally) {
	for _, valAddr := range sortedKeys(validators) {
		val := validators[valAddr]
		if len(val.Vote) == 0 {
			continue
		}
		sharesAfterDeductions := val.DelegatorShares.Sub(val.DelegatorDeductions)
		votingPower := sharesAfterDeductions.MulInt(val.BondedTokens).Quo(val.DelegatorShares)
		t.addPower(val.Vote, votingPower)
		t.total = t.total.Add(votingPower)
	}
}

// DelegatedVotingPower is the power x/gov gives an address's own delegations:
// Σ over delegations to bonded validators of shares × bonded tokens / shares.
// (A validator's inherited power from delegators that do not vote is not
// included: it depends on who votes.)
func (k Keeper) DelegatedVotingPower(ctx context.Context, addr sdk.AccAddress) (math.LegacyDec, error) {
	delegations, err := k.bondedDelegations(ctx, addr, votingPowerWalk, func(yield func(sdk.ValAddress) error) error {
		var inner error
		err := k.StakingKeeper.IterateLastValidatorPowers(ctx, func(op sdk.ValAddress, _ int64) bool {
			inner = yield(op)
			return inner != nil
		})
		if err != nil {
			return err
		}
		return inner
	})
	if err != nil {
		return math.LegacyDec{}, err
	}
	power := math.LegacyZeroDec()
	for _, d := range delegations {
		valAddr, err := k.StakingKeeper.ValidatorAddressCodec().StringToBytes(d.GetValidatorAddr())
		if err != nil {
			return math.LegacyDec{}, err
		}
		val, err := k.StakingKeeper.GetValidator(ctx, valAddr)
		if err != nil {
			return math.LegacyDec{}, err
		}
		if !val.IsBonded() || val.GetDelegatorShares().IsZero() {
			continue
		}
		power = power.Add(d.GetShares().MulInt(val.GetBondedTokens()).Quo(val.GetDelegatorShares()))
	}
	return power, nil
}

// votingPowerWalk is how many of an address's delegations VotingPower reads
// before it reads its delegations to the bonded validators instead.
const votingPowerWalk = 64

// bondedDelegations returns the delegations of addr that may count for it:
// all of them when it has at most walk, else its delegation to each
// validator bonded yields (point reads). Walking every delegation made one
// vote's tally, and one VotingPower query, read as many entries as the
// address had delegations, to validators anyone creates for 1 uaic: 200 of
// them made the tally 28 × a vote's gas
// (TestAttackSpamDelegationsMakeEveryTallyWalkThem,
// TestAttackDelegationsToSpamValidatorsInflateVotingPowerQuery). Now the
// work is at most walk + 1 delegations and then the bonded set's (at most
// max_validators), whatever the address holds.
func (k Keeper) bondedDelegations(ctx context.Context, addr sdk.AccAddress, walk int,
	bonded func(yield func(sdk.ValAddress) error) error,
) ([]stakingtypes.DelegationI, error) {
	var out []stakingtypes.DelegationI
	over := false
	err := k.StakingKeeper.IterateDelegations(ctx, addr, func(_ int64, d stakingtypes.DelegationI) bool {
		if len(out) == walk {
			over = true
			return true
		}
		out = append(out, d)
		return false
	})
	if err != nil || !over {
		return out, err
	}
	out = out[:0]
	err = bonded(func(val sdk.ValAddress) error {
		d, err := k.StakingKeeper.GetDelegation(ctx, addr, val)
		if errors.Is(err, stakingtypes.ErrNoDelegation) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}
