package types

import (
	errorsmod "cosmossdk.io/errors"
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
		return errorsmod.Wrap(ErrInvalidGenesis, "next_lock_id must be positive")
	}
	if err := gs.RewardIndex.Validate(); err != nil && !gs.RewardIndex.Empty() {
		return errorsmod.Wrapf(ErrInvalidGenesis, "reward_index: %v", err)
	}
	seen := make(map[uint64]bool, len(gs.Locks))
	for i, l := range gs.Locks {
		if l.Id == 0 || l.Id >= gs.NextLockId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: id %d not in [1, next_lock_id %d)", i, l.Id, gs.NextLockId)
		}
		if seen[l.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock id %d appears twice", l.Id)
		}
		seen[l.Id] = true
		if _, err := sdk.AccAddressFromBech32(l.Owner); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: owner: %v", l.Id, err)
		}
		if !l.Amount.IsValid() || !l.Amount.IsPositive() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: amount %s", l.Id, l.Amount)
		}
		if l.Duration <= 0 || l.Multiplier.IsNil() || !l.Multiplier.IsPositive() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: duration %s, multiplier %s", l.Id, l.Duration, l.Multiplier)
		}
		want := LockWeight(l.Amount.Amount, l.Multiplier)
		if l.IsUnlocking() {
			want = math.ZeroInt()
		}
		if l.Weight.IsNil() || !l.Weight.Equal(want) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: weight %s, want %s", l.Id, l.Weight, want)
		}
		if _, neg := gs.RewardIndex.SafeSub(l.RewardIndexPaid); neg {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lock %d: paid index %s above the global index %s", l.Id, l.RewardIndexPaid, gs.RewardIndex)
		}
	}
	owners := make(map[string]bool, len(gs.Pending))
	for _, p := range gs.Pending {
		if _, err := sdk.AccAddressFromBech32(p.Owner); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "pending: owner: %v", err)
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
