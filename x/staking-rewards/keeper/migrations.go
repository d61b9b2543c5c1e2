package keeper

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// Migrator runs the module's store migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the module's migrator.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 moves the reward accounting from a paid index per lock to one
// per owner (OwnerIndexPaid), once, at the upgrade height (it reads every
// lock): each weighted lock's accrual at the current index, weight × (index −
// its paid index), goes to its owner's Pending, and every owner with weight
// gets the current index as its paid index; a weighted lock's own paid index
// is emptied (as version 2 keeps it). No one's entitlement changes
// (the accruals are exact), nor does Accounted, which already holds them.
// From then on a claim settles the owner's aggregate weight, whatever the
// number of its locks.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	k := m.k
	index, err := k.GetRewardIndex(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 1→2: reward index")
	}
	var locks []types.Lock
	if err := k.Locks.Walk(ctx, nil, func(_ uint64, l types.Lock) (bool, error) {
		if !l.IsUnlocking() && l.Weight.IsPositive() {
			locks = append(locks, l)
		}
		return false, nil
	}); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 1→2: locks")
	}
	for _, l := range locks {
		earned, err := accrued(l, index)
		if err != nil {
			return err
		}
		owner, err := k.addressCodec.StringToBytes(l.Owner)
		if err != nil {
			return errorsmod.Wrapf(err, "migrate staking-rewards 1→2: lock %d owner", l.Id)
		}
		if err := k.OwnerIndexPaid.Set(ctx, owner, types.DecBalance{Coins: index}); err != nil {
			return err
		}
		l.RewardIndexPaid = nil // the owner's paid index applies
		if err := k.Locks.Set(ctx, l.Id, l); err != nil {
			return err
		}
		if earned.IsZero() {
			continue
		}
		if err := k.addPending(ctx, owner, earned); err != nil {
			return err
		}
	}
	return nil
}

// Migrate2to3 lists, in the new params.reward_denoms, the denoms that version
// 2 has already distributed (those in the reward index), other than
// lock_denom, so that each keeps reaching lockers: version 2 distributed every
// denom in the pool, version 3 only the rewarded ones. A chain whose index
// holds more than types.MaxRewardDenoms such denoms (someone sent the pool
// many) keeps the first in denom order; coins of the rest wait in the pool
// and what lockers are already owed of them stays claimable.
func (m Migrator) Migrate2to3(ctx sdk.Context) error {
	k := m.k
	params, err := k.GetParams(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 2→3: params")
	}
	index, err := k.GetRewardIndex(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 2→3: reward index")
	}
	params.RewardDenoms = nil
	for _, c := range index { // sorted by denom
		if c.Denom == params.LockDenom || len(params.RewardDenoms) == types.MaxRewardDenoms {
			continue
		}
		params.RewardDenoms = append(params.RewardDenoms, c.Denom)
	}
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 2→3: params")
	}
	return k.Params.Set(ctx, params)
}

// Migrate3to4 gives governance weight only to locks of at least
// min_vote_lock_duration (types.Params.MinVoteLockDuration): it sets the
// param to its default, 21 days (the longest tier when a chain has none that
// long), marks each lock whose duration reaches it as voting (Lock.votes),
// and builds the owners' and the total governance weights from the locked
// ones. Shorter locks keep their reward weight and lose their votes: a 7-day
// lock made for a tally, and unlocked the block after, voted at a third of
// the capital time the same stake costs delegated. It reads every lock once.
func (m Migrator) Migrate3to4(ctx sdk.Context) error {
	k := m.k
	params, err := k.GetParams(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 3→4: params")
	}
	params.MinVoteLockDuration = min(types.DefaultMinVoteLockDuration, params.LockTiers[len(params.LockTiers)-1].Duration)
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 3→4: params")
	}
	if err := k.Params.Set(ctx, params); err != nil {
		return err
	}
	totals, err := k.GetTotals(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 3→4: totals")
	}
	totals.VoteWeight = math.ZeroInt()
	var locks []types.Lock
	if err := k.Locks.Walk(ctx, nil, func(_ uint64, l types.Lock) (bool, error) {
		locks = append(locks, l)
		return false, nil
	}); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 3→4: locks")
	}
	for _, l := range locks {
		l.Votes = params.Votes(l.Duration)
		if err := k.Locks.Set(ctx, l.Id, l); err != nil {
			return err
		}
		owner, err := k.addressCodec.StringToBytes(l.Owner)
		if err != nil {
			return errorsmod.Wrapf(err, "migrate staking-rewards 3→4: lock %d owner", l.Id)
		}
		if err := k.addVoteWeight(ctx, owner, l.VoteWeight()); err != nil {
			return err
		}
		totals.VoteWeight = totals.VoteWeight.Add(l.VoteWeight())
	}
	return k.setTotals(ctx, totals)
}
