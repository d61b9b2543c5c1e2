package types

import (
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// ValidateBasic checks the message without state: validator_address is an
// operator address (the chain's valoper prefix), and endpoint is empty (the
// validator removes its entry) or a URL ValidateVerifierEndpoint accepts.
func (m *MsgSetVerifierEndpoint) ValidateBasic() error {
	if err := ValidateValoper("validator_address", m.ValidatorAddress); err != nil {
		return err
	}
	if m.Endpoint == "" {
		return nil
	}
	return ValidateVerifierEndpoint(m.Endpoint)
}

// ValidateValoper checks a bech32 validator operator address field.
func ValidateValoper(field, addr string) error {
	if addr == "" {
		return ErrInvalidAddress.Wrapf("%s is empty", field)
	}
	if _, err := sdk.ValAddressFromBech32(addr); err != nil {
		return ErrInvalidAddress.Wrapf("%s %q: %v", field, addr, err)
	}
	return nil
}

// validateVerifierEndpoints checks the genesis verifier endpoints without
// state: each an operator address and a valid, non-empty endpoint (an
// empty one is stored as no entry), each validator once, whatever the
// spelling of its address (bech32 reads upper and lower case alike, and the
// store keys the address's bytes: a second spelling overwrote the first).
func validateVerifierEndpoints(eps []VerifierEndpoint) error {
	seen := make(map[string]bool, len(eps))
	for i, e := range eps {
		if err := ValidateValoper("validator_address", e.ValidatorAddress); err != nil {
			return ErrInvalidGenesis.Wrapf("verifier_endpoints[%d]: %v", i, err)
		}
		if err := ValidateVerifierEndpoint(e.Endpoint); err != nil {
			return ErrInvalidGenesis.Wrapf("verifier_endpoints[%d]: %v", i, err)
		}
		val, _ := sdk.ValAddressFromBech32(e.ValidatorAddress)
		if seen[string(val)] {
			return ErrInvalidGenesis.Wrapf("verifier_endpoints[%d]: validator %s appears twice", i, e.ValidatorAddress)
		}
		seen[string(val)] = true
	}
	return nil
}
