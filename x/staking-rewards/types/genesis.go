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
	// The sums InitGenesis keeps (math.Int, which panics past its bits).
	amounts, weights := new(big.Int), new(big.Int)
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
		if _, neg := gs.RewardIndex.SafeSub(l.RewardIndexPaid); neg {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: paid index %s above the global index %s", l.Id, l.RewardIndexPaid, gs.RewardIndex)
		}
	}
	owners := make(map[string]bool, len(gs.Pending))
	for _, p := range gs.Pending {
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
	}
	return nil
}
