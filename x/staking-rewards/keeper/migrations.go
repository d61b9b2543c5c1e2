package keeper

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// Migrator runs the module's store migrations.
type Migrator struct {
	k         Keeper
	feeDenoms FeeDenoms
}

// FeeDenoms returns the denoms governance chose for fees (the app's: the
// denoms x/compute takes for jobs, allowed_denoms, then those the upgrade
// plan names). Migrate2to3 lists them in reward_denoms, in this order.
type FeeDenoms func(ctx sdk.Context) ([]string, error)

// NewMigrator returns the module's migrator.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// WithFeeDenoms returns the migrator with the fee denoms Migrate2to3 lists
// (nil: every denom of the reward index is a candidate, in denom order).
func (m Migrator) WithFeeDenoms(feeDenoms FeeDenoms) Migrator {
	m.feeDenoms = feeDenoms
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

// Migrate2to3 sets the new params.reward_denoms: version 2 distributed
// every denom in the pool, version 3 only lock_denom and the rewarded ones
// (at most types.MaxRewardDenoms). It lists the denoms governance chose for
// fees (the migrator's FeeDenoms, in its order; all of the index's, in
// denom order, when it has none), whether or not a fee was paid in one yet.
//
// The pool is open to gifts, and no record tells a fee from a gift, or a
// sale between two accounts of one party from a real one. Listed by the
// index in denom order, 16 one-unit junk denoms that sort before the chain's
// fee denom took every slot (TestAttackJunkDenomsPushFeeDenomOutOfRewardDenoms);
// listed by the denoms licences were sold in, 16 self-sold junk licences
// did the same (TestAttackSelfSoldJunkLicencesDropTheMarketFeeDenom).
//
// So governance names them: the upgrade plan may list more fee denoms (a
// licence's or a model's, which may be priced in any denom: the app's
// RewardFeeDenoms reads them from the plan's info). Every other denom of
// the index leaves the reward index and every paid index (dropUnlisted;
// kept, 300 junk denoms were read by every sync and claim for ever:
// TestAttackPreUpgradeJunkDenomsKeepLockersGasHigh); what lockers had
// accrued of it stays claimable. Listed later by governance, a denom's
// backlog goes to the community pool, as any newly listed denom's
// (UpdateParams): given to the weight of the moment, a lock made just
// before the listing took a share of it
// (TestAttackSniperLocksBeforeLegacyDenomListing). A
// max_withdrawals_per_block above the bound version 3 set is brought to it
// (withBoundedWithdrawals), before the params are validated.
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
	candidates := make([]string, 0, len(index))
	if m.feeDenoms == nil {
		for _, c := range index { // sorted by denom
			candidates = append(candidates, c.Denom)
		}
	} else if candidates, err = m.feeDenoms(ctx); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 2→3: fee denoms")
	}
	params = withBoundedWithdrawals(params)
	params.RewardDenoms = nil
	listed := map[string]bool{params.LockDenom: true}
	for _, d := range candidates {
		if len(params.RewardDenoms) == types.MaxRewardDenoms {
			break
		}
		if !listed[d] {
			listed[d] = true
			params.RewardDenoms = append(params.RewardDenoms, d)
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

// withBoundedWithdrawals brings max_withdrawals_per_block into the bound
// this binary's params validation sets (types.MaxWithdrawalsPerBlockLimit):
// version 1 took any positive value, and a migration that validates the
// params under the new rule failed on a larger one, halting the chain at the
// upgrade height (TestAttackPreUpgradeWithdrawalCapHaltsTheUpgrade). A
// larger cap becomes the most the rule allows.
func withBoundedWithdrawals(p types.Params) types.Params {
	p.MaxWithdrawalsPerBlock = min(p.MaxWithdrawalsPerBlock, types.MaxWithdrawalsPerBlockLimit)
	return p
}

// keepListed splits coins into the denoms listed and the others.
func keepListed(coins sdk.DecCoins, listed map[string]bool) (kept, dropped sdk.DecCoins) {
	for _, c := range coins {
		if listed[c.Denom] {
			kept = append(kept, c)
		} else {
			dropped = append(dropped, c)
		}
	}
	return kept, dropped
}

// dropUnlisted takes the index's denoms not listed out of the reward index
// and out of every paid index: each owner's, once settled at the index
// (settleOwner: what its weight accrued moves to its Pending), and each lock's (an unlocking lock keeps the index
// it stopped earning at, and genesis requires it under the global one:
// TestAttackJunkDenomBeforeUpgradeBreaksGenesisExport). Accounted does not
// change: those rewards stay owed. It reads every owner and lock once.
func (m Migrator) dropUnlisted(ctx sdk.Context, index sdk.DecCoins, listed map[string]bool) error {
	k := m.k
	kept, dropped := keepListed(index, listed)
	if len(dropped) == 0 {
		return nil
	}
	type ownerPaid struct {
		owner sdk.AccAddress
		paid  sdk.DecCoins
	}
	var owners []ownerPaid
	if err := k.OwnerIndexPaid.Walk(ctx, nil, func(owner sdk.AccAddress, p types.DecBalance) (bool, error) {
		owners = append(owners, ownerPaid{owner, p.Coins})
		return false, nil
	}); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 2→3: owners' paid indexes")
	}
	for _, o := range owners {
		// Settled at the index (settleOwner: what its weight accrued, in
		// every denom, to Pending), its paid index then keeps only the
		// listed denoms.
		if err := k.settleOwner(ctx, o.owner, math.ZeroInt(), index); err != nil {
			return err
		}
		paid := o.paid
		if w, err := k.OwnerLockWeight(ctx, o.owner); err != nil {
			return err
		} else if w.IsPositive() {
			paid = kept
		}
		paidKept, _ := keepListed(paid, listed)
		if err := k.OwnerIndexPaid.Set(ctx, o.owner, types.DecBalance{Coins: paidKept}); err != nil {
			return err
		}
	}
	var locks []types.Lock
	if err := k.Locks.Walk(ctx, nil, func(_ uint64, l types.Lock) (bool, error) {
		if _, d := keepListed(l.RewardIndexPaid, listed); len(d) > 0 {
			locks = append(locks, l)
		}
		return false, nil
	}); err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 2→3: locks")
	}
	for _, l := range locks {
		l.RewardIndexPaid, _ = keepListed(l.RewardIndexPaid, listed)
		if err := k.Locks.Set(ctx, l.Id, l); err != nil {
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
// A max_withdrawals_per_block above its bound is brought to it, as in
// Migrate2to3.
func (m Migrator) Migrate3to4(ctx sdk.Context) error {
	k := m.k
	params, err := k.GetParams(ctx)
	if err != nil {
		return errorsmod.Wrap(err, "migrate staking-rewards 3→4: params")
	}
	params = withBoundedWithdrawals(params)
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
