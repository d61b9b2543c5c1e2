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

// PendingOwner checks a stored offer of a record to a new owner (a genesis
// field): empty (no offer), or a canonical address other than owner's.
func PendingOwner(pending, owner string, errAddress *errorsmod.Error) error {
	if pending == "" {
		return nil
	}
	if err := CanonicalAddress("pending_owner", pending, errAddress); err != nil {
		return err
	}
	if pending == owner {
		return errorsmod.Wrap(errAddress, "pending_owner is the owner")
	}
	return nil
}
