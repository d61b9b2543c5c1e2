package modkit

import (
	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
)

// CheckAuthority returns errInvalidSigner (the module's registered
// "invalid authority" error) unless got is the module's authority.
func CheckAuthority(authority, got string, errInvalidSigner *errorsmod.Error) error {
	if got != authority {
		return errorsmod.Wrapf(errInvalidSigner, "expected %s, got %s", authority, got)
	}
	return nil
}

// Signer decodes a message's signer field with the address codec; errAddress
// is the module's registered invalid-address error.
func Signer(ac address.Codec, field, addr string, errAddress *errorsmod.Error) (sdk.AccAddress, error) {
	bz, err := ac.StringToBytes(addr)
	if err != nil {
		return nil, errorsmod.Wrapf(errAddress, "%s %q: %v", field, addr, err)
	}
	return bz, nil
}

func moduleAddress(name string) sdk.AccAddress { return authtypes.NewModuleAddress(name) }

// Canonical decodes addr with the address codec and encodes it again: the
// one spelling under which an address is stored, indexed and compared
// (bech32 also accepts an all-upper-case string). errAddress is the module's
// registered invalid-address error.
func Canonical(ac address.Codec, field, addr string, errAddress *errorsmod.Error) (sdk.AccAddress, string, error) {
	bz, err := Signer(ac, field, addr, errAddress)
	if err != nil {
		return nil, "", err
	}
	s, err := ac.BytesToString(bz)
	if err != nil {
		return nil, "", errorsmod.Wrapf(errAddress, "%s %q: %v", field, addr, err)
	}
	return bz, s, nil
}
