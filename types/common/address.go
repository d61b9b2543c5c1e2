package common

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// CanonicalAddress checks an account address stored in state (a genesis
// field): valid bech32, and in the one spelling the address codec writes,
// under which the modules index and compare it (bech32 also accepts an
// all-upper-case string). errAddress is the module's registered error.
func CanonicalAddress(field, addr string, errAddress *errorsmod.Error) error {
	acc, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return errorsmod.Wrapf(errAddress, "%s %q: %v", field, addr, err)
	}
	if acc.String() != addr {
		return errorsmod.Wrapf(errAddress, "%s %q is not in canonical form %s", field, addr, acc)
	}
	return nil
}
