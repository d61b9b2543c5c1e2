package keeper

import (
	"slices"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// Migrator runs the module's store migrations.
type Migrator struct {
	k         Keeper
	preferred func(sdk.Context) ([]string, error)
}

// NewMigrator returns the module's migrator.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// WithPreferred returns the migrator listing first, in Migrate2to3, the
// denoms preferred returns (the app gives x/compute's allowed_denoms: the
// denoms jobs pay their fees in).
func (m Migrator) WithPreferred(preferred func(sdk.Context) ([]string, error)) Migrator {
	m.preferred = preferred
	return m
}

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
// many) keeps the first in denom order. A migrator given the denoms jobs pay
// fees in (WithPreferred: the app gives x/compute's allowed_denoms) lists
// only those: by denom order alone, 16 one-unit junk denoms sorting before
// the fee denom took every slot, and the fees paid after the upgrade stayed
// in the pool (TestAttackJunkDenomsPushFeeDenomOutOfRewardDenoms). Another
// denom a donor paid in waits for governance to list it.
//
// The denoms left unlisted leave the reward index: what each owner's weight
// had accrued of them moves to its Pending (claimable as before) and its
// paid index keeps only the listed denoms. Kept in the index, 300 junk
// denoms sent before the upgrade were read by every EndBlocker's sync and
// read and rewritten by every claim for ever, 30–80 × their cost on a clean
// chain (TestAttackPreUpgradeJunkDenomsKeepLockersGasHigh). It reads every
// owner once when some denom is dropped.
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
	var preferred []string
	if m.preferred != nil {
		if preferred, err = m.preferred(ctx); err != nil {
			return errorsmod.Wrap(err, "migrate staking-rewards 2→3: preferred denoms")
		}
	}
	params.RewardDenoms = nil
	listed := map[string]bool{params.LockDenom: true}
	add := func(denom string) {
		if !listed[denom] && len(params.RewardDenoms) < types.MaxRewardDenoms {
			listed[denom] = true
			params.RewardDenoms = append(params.RewardDenoms, denom)
		}
	}
	for _, c := range index { // sorted by denom
		if m.preferred == nil || slices.Contains(preferred, c.Denom) {
			add(c.Denom)
		}
	}
	if err := params.Validate(); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 2→3: params")
	}
	if err := k.Params.Set(ctx, params); err != nil {
		return err
	}
	return m.dropUnlisted(ctx, index, listed)
}

// dropUnlisted takes the denoms not listed out of the reward index and every
// owner's paid index, first moving what each owner's weight accrued of them
// into its Pending. Accounted does not change: those rewards stay owed.
func (m Migrator) dropUnlisted(ctx sdk.Context, index sdk.DecCoins, listed map[string]bool) error {
	k := m.k
	keep := func(coins sdk.DecCoins) (kept, dropped sdk.DecCoins) {
		for _, c := range coins {
			if listed[c.Denom] {
				kept = append(kept, c)
			} else {
				dropped = append(dropped, c)
			}
		}
		return kept, dropped
	}
	kept, dropped := keep(index)
	if len(dropped) == 0 {
		return nil
	}
	var owners []sdk.AccAddress
	var weights []math.Int
	if err := k.OwnerWeight.Walk(ctx, nil, func(owner sdk.AccAddress, w math.Int) (bool, error) {
		owners, weights = append(owners, owner), append(weights, w)
		return false, nil
	}); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 2→3: owners")
	}
	for i, owner := range owners {
		paid, err := k.OwnerIndexPaid.Get(ctx, owner)
		if err != nil {
			return errorsmod.Wrapf(err, "migrate staking-rewards 2→3: owner %s's paid index", owner)
		}
		paidKept, paidDropped := keep(paid.Coins)
		diff, neg := dropped.SafeSub(paidDropped)
		if neg {
			return errorsmod.Wrapf(types.ErrAccounting, "migrate staking-rewards 2→3: owner %s paid index %s above index %s", owner, paidDropped, dropped)
		}
		if earned := diff.MulDec(math.LegacyNewDecFromInt(weights[i])); !earned.IsZero() {
			if err := k.addPending(ctx, owner, earned); err != nil {
				return err
			}
		}
		if err := k.OwnerIndexPaid.Set(ctx, owner, types.DecBalance{Coins: paidKept}); err != nil {
			return err
		}
	}
	return k.RewardIndex.Set(ctx, types.DecBalance{Coins: kept})
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
