package types

import (
	"math/big"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/aichain/aichain/types/common"
)

// DefaultGenesis is the default genesis: default params, no locks.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextLockId: 1}
}

// Validate checks the genesis statelessly.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextLockId == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next_lock_id must be positive")
	}
	if err := gs.RewardIndex.Validate(); err != nil && !gs.RewardIndex.Empty() {
		return errorsmod.Wrapf(ErrInvalidGenesis, "reward_index: %v", err)
	}
	seen := make(map[uint64]bool, len(gs.Locks))
	// The sums InitGenesis keeps (math.Int and decimals, which panic past
	// their bits): the locks' amounts and weights, and what they accrued
	// (weight × (index − paid), with the pending rewards).
	amounts, weights := new(big.Int), new(big.Int)
	owed := decSums{}
	for i, l := range gs.Locks {
		if l.Id == 0 || l.Id >= gs.NextLockId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: id %d not in [1, next_lock_id %d)", i, l.Id, gs.NextLockId)
		}
		if seen[l.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock id %d appears twice", l.Id)
		}
		seen[l.Id] = true
		if err := common.CanonicalAddress("owner", l.Owner, ErrInvalidGenesis); err != nil {
			return errorsmod.Wrapf(err, "lock %d", l.Id)
		}
		if !l.Amount.IsValid() || !l.Amount.IsPositive() || l.Amount.Denom != gs.Params.LockDenom {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: amount %s (lock denom %s)", l.Id, l.Amount, gs.Params.LockDenom)
		}
		if l.Duration <= 0 || l.Multiplier.IsNil() || !l.Multiplier.IsPositive() || l.Multiplier.GT(MaxMultiplier) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: duration %s, multiplier %s (at most %s)", l.Id, l.Duration, l.Multiplier, MaxMultiplier)
		}
		if err := l.RewardIndexPaid.Validate(); err != nil && !l.RewardIndexPaid.Empty() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: paid index: %v", l.Id, err)
		}
		want, err := LockWeight(l.Amount.Amount, l.Multiplier)
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: %v", l.Id, err)
		}
		if l.IsUnlocking() {
			want = math.ZeroInt()
		}
		if l.Weight.IsNil() || !l.Weight.Equal(want) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: weight %s, want %s", l.Id, l.Weight, want)
		}
		if amounts.Add(amounts, l.Amount.Amount.BigInt()); amounts.BitLen() > math.MaxBitLen {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: the locks' amounts add up past %d bits", l.Id, math.MaxBitLen)
		}
		if weights.Add(weights, want.BigInt()); weights.BitLen() > math.MaxBitLen {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: the locks' weights add up past %d bits", l.Id, math.MaxBitLen)
		}
		diff, neg := gs.RewardIndex.SafeSub(l.RewardIndexPaid)
		if neg {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: paid index %s above the global index %s", l.Id, l.RewardIndexPaid, gs.RewardIndex)
		}
		for _, d := range diff {
			if !owed.add(d.Denom, new(big.Int).Mul(d.Amount.BigInt(), want.BigInt())) {
				return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: what the locks accrued in %s does not fit a decimal", l.Id, d.Denom)
			}
		}
	}
	return validatePending(gs.Pending, owed)
}

// validatePending checks the pending rewards, adding them to owed (what
// the locks accrued).
func validatePending(pending []PendingReward, owed decSums) error {
	owners := make(map[string]bool, len(pending))
	for _, p := range pending {
		if err := common.CanonicalAddress("owner", p.Owner, ErrInvalidGenesis); err != nil {
			return errorsmod.Wrapf(err, "pending")
		}
		if owners[p.Owner] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "pending: owner %s appears twice", p.Owner)
		}
		owners[p.Owner] = true
		if err := p.Rewards.Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "pending of %s: %v", p.Owner, err)
		}
		for _, r := range p.Rewards {
			if !owed.add(r.Denom, r.Amount.BigInt()) {
				return errorsmod.Wrapf(ErrInvalidGenesis, "pending of %s: what is owed in %s does not fit a decimal", p.Owner, r.Denom)
			}
		}
	}
	return nil
}

// decSums adds decimals (their 18-decimal integers) by denom, as InitGenesis
// does with DecCoins, whose arithmetic panics past a decimal's range
// (TestAttackGenesisAccrualOverflowPanicsInitGenesis).
type decSums map[string]*big.Int

// add adds v to denom's sum and reports whether the sum is still a valid
// decimal.
func (s decSums) add(denom string, v *big.Int) bool {
	sum, ok := s[denom]
	if !ok {
		sum = new(big.Int)
		s[denom] = sum
	}
	sum.Add(sum, v)
	return math.LegacyNewDecFromBigIntWithPrec(sum, math.LegacyPrecision).IsInValidRange()
}
