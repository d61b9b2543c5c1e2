package types

import (
	"fmt"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
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
		return fmt.Errorf("%w: next_lock_id must be positive", ErrInvalidGenesis)
	}
	if err := gs.RewardIndex.Validate(); err != nil && !gs.RewardIndex.Empty() {
		return fmt.Errorf("%w: reward_index: %v", ErrInvalidGenesis, err)
	}
	seen := make(map[uint64]bool, len(gs.Locks))
	for i, l := range gs.Locks {
		if l.Id == 0 || l.Id >= gs.NextLockId {
			return fmt.Errorf("%w: lock %d: id %d not in [1, next_lock_id %d)", ErrInvalidGenesis, i, l.Id, gs.NextLockId)
		}
		if seen[l.Id] {
			return fmt.Errorf("%w: lock id %d appears twice", ErrInvalidGenesis, l.Id)
		}
		seen[l.Id] = true
		if _, err := sdk.AccAddressFromBech32(l.Owner); err != nil {
			return fmt.Errorf("%w: lock %d: owner: %v", ErrInvalidGenesis, l.Id, err)
		}
		if !l.Amount.IsValid() || !l.Amount.IsPositive() {
			return fmt.Errorf("%w: lock %d: amount %s", ErrInvalidGenesis, l.Id, l.Amount)
		}
		if l.Duration <= 0 || l.Multiplier.IsNil() || !l.Multiplier.IsPositive() {
			return fmt.Errorf("%w: lock %d: duration %s, multiplier %s", ErrInvalidGenesis, l.Id, l.Duration, l.Multiplier)
		}
		want := LockWeight(l.Amount.Amount, l.Multiplier)
		if l.IsUnlocking() {
			want = math.ZeroInt()
		}
		if l.Weight.IsNil() || !l.Weight.Equal(want) {
			return fmt.Errorf("%w: lock %d: weight %s, want %s", ErrInvalidGenesis, l.Id, l.Weight, want)
		}
		if _, neg := gs.RewardIndex.SafeSub(l.RewardIndexPaid); neg {
			return fmt.Errorf("%w: lock %d: paid index %s above the global index %s", ErrInvalidGenesis, l.Id, l.RewardIndexPaid, gs.RewardIndex)
		}
	}
	owners := make(map[string]bool, len(gs.Pending))
	for _, p := range gs.Pending {
		if _, err := sdk.AccAddressFromBech32(p.Owner); err != nil {
			return fmt.Errorf("%w: pending: owner: %v", ErrInvalidGenesis, err)
		}
		if owners[p.Owner] {
			return fmt.Errorf("%w: pending: owner %s appears twice", ErrInvalidGenesis, p.Owner)
		}
		owners[p.Owner] = true
		if err := p.Rewards.Validate(); err != nil {
			return fmt.Errorf("%w: pending of %s: %v", ErrInvalidGenesis, p.Owner, err)
		}
	}
	return nil
}
