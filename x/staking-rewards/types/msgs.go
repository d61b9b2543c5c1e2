package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

var (
	_ sdk.Msg = &MsgLock{}
	_ sdk.Msg = &MsgExtendLock{}
	_ sdk.Msg = &MsgBeginUnlock{}
	_ sdk.Msg = &MsgWithdraw{}
	_ sdk.Msg = &MsgClaimRewards{}
	_ sdk.Msg = &MsgUpdateParams{}
)

func validateAddress(field, addr string) error {
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %v", field, addr, err)
	}
	return nil
}

// ValidateBasic checks the Msg statelessly.
func (m *MsgLock) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if !m.Amount.IsValid() || !m.Amount.IsPositive() {
		return errorsmod.Wrapf(ErrInvalidAmount, "amount %s must be a positive coin", m.Amount)
	}
	if m.Duration <= 0 {
		return errorsmod.Wrapf(ErrUnknownTier, "duration %s must be positive", m.Duration)
	}
	return nil
}

// ValidateBasic checks the Msg statelessly.
func (m *MsgExtendLock) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.LockId == 0 {
		return errorsmod.Wrap(ErrLockNotFound, "lock_id must be positive")
	}
	if m.Duration <= 0 {
		return errorsmod.Wrapf(ErrUnknownTier, "duration %s must be positive", m.Duration)
	}
	return nil
}

// ValidateBasic checks the Msg statelessly.
func (m *MsgBeginUnlock) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.LockId == 0 {
		return errorsmod.Wrap(ErrLockNotFound, "lock_id must be positive")
	}
	return nil
}

// ValidateBasic checks the Msg statelessly.
func (m *MsgWithdraw) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.LockId == 0 {
		return errorsmod.Wrap(ErrLockNotFound, "lock_id must be positive")
	}
	return nil
}

// ValidateBasic checks the Msg statelessly.
func (m *MsgClaimRewards) ValidateBasic() error {
	return validateAddress("owner", m.Owner)
}

// ValidateBasic checks the Msg statelessly.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	if err := m.Params.Validate(); err != nil {
		return errorsmod.Wrap(err, "params")
	}
	return nil
}
