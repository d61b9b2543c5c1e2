package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// SetVerifierEndpoint sets the public base URL of the verification sidecar
// of the validator valoper (the signer: its operator account), from which
// other validators' sidecars fetch the model weights it checked by sha256;
// an empty endpoint removes the entry (none is no error). The validator
// must be known to x/staking, whatever its status (ErrNotValidator): one
// outside the set may announce its sidecar before it bonds, and sidecars
// read the bonded set's entries only. No staking hook removes an entry
// when its validator is removed, as none removes a beacon key: an entry
// costs its validator's creation, and readers filter by the bonded set.
// Emits EventVerifierEndpointSet.
func (k Keeper) SetVerifierEndpoint(ctx context.Context, valoper, endpoint string) error {
	if endpoint != "" {
		if err := types.ValidateVerifierEndpoint(endpoint); err != nil {
			return err
		}
	}
	valAddr, valoper, _, err := k.stakingValidator(ctx, valoper)
	if err != nil {
		return err
	}
	if endpoint == "" {
		err = k.VerifierEndpoints.Remove(ctx, valAddr)
	} else {
		err = k.VerifierEndpoints.Set(ctx, valAddr, endpoint)
	}
	if err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventVerifierEndpointSet{ValidatorAddress: valoper, Endpoint: endpoint})
}

// stakingValidator is the staking validator valoper, whatever its status,
// with its address and the address's canonical spelling (bech32 reads an
// upper-case spelling as the same validator). Errors: ErrInvalidAddress
// for an address that does not decode, ErrNotValidator for one that is no
// validator.
func (k Keeper) stakingValidator(ctx context.Context, valoper string) (sdk.ValAddress, string, stakingtypes.Validator, error) {
	if k.StakingKeeper == nil {
		return nil, "", stakingtypes.Validator{}, types.ErrNotValidator.Wrap("no staking keeper")
	}
	codec := k.StakingKeeper.ValidatorAddressCodec()
	valAddr, err := codec.StringToBytes(valoper)
	if err != nil {
		return nil, "", stakingtypes.Validator{}, types.ErrInvalidAddress.Wrapf("validator_address: %v", err)
	}
	if valoper, err = codec.BytesToString(valAddr); err != nil {
		return nil, "", stakingtypes.Validator{}, types.ErrInvalidAddress.Wrapf("validator_address: %v", err)
	}
	val, err := k.StakingKeeper.GetValidator(ctx, valAddr)
	if err != nil {
		return nil, "", stakingtypes.Validator{}, types.ErrNotValidator.Wrapf("%s: %v", valoper, err)
	}
	return valAddr, valoper, val, nil
}

// valoperString is a stored operator address in the validator address
// codec's (canonical) form.
func (k Keeper) valoperString(val sdk.ValAddress) (string, error) {
	if k.StakingKeeper == nil {
		return "", types.ErrNotValidator.Wrap("no staking keeper")
	}
	s, err := k.StakingKeeper.ValidatorAddressCodec().BytesToString(val)
	if err != nil {
		return "", types.ErrInvalidAddress.Wrapf("%X: %v", []byte(val), err)
	}
	return s, nil
}

// initVerifierEndpoints stores the genesis verifier endpoints (Validate
// checked each and that no validator appears twice). No staking check: an
// entry outlives its validator (SetVerifierEndpoint), so an export can hold
// entries of validators gone, which must import.
func (k Keeper) initVerifierEndpoints(ctx context.Context, eps []types.VerifierEndpoint) error {
	if len(eps) == 0 {
		return nil
	}
	if k.StakingKeeper == nil {
		return types.ErrInvalidGenesis.Wrap("verifier_endpoints: no staking keeper to decode operator addresses")
	}
	codec := k.StakingKeeper.ValidatorAddressCodec()
	for i, e := range eps {
		val, err := codec.StringToBytes(e.ValidatorAddress)
		if err != nil {
			return types.ErrInvalidGenesis.Wrapf("verifier_endpoints[%d]: %v", i, err)
		}
		if has, err := k.VerifierEndpoints.Has(ctx, val); err != nil || has {
			if err != nil {
				return err
			}
			return types.ErrInvalidGenesis.Wrapf("verifier_endpoints[%d]: validator %s appears twice", i, e.ValidatorAddress)
		}
		if err := k.VerifierEndpoints.Set(ctx, val, e.Endpoint); err != nil {
			return err
		}
	}
	return nil
}

// exportVerifierEndpoints writes the verifier endpoints out, by operator
// address.
func (k Keeper) exportVerifierEndpoints(ctx context.Context, gs *types.GenesisState) error {
	return k.VerifierEndpoints.Walk(ctx, nil, func(val sdk.ValAddress, endpoint string) (bool, error) {
		valoper, err := k.valoperString(val)
		gs.VerifierEndpoints = append(gs.VerifierEndpoints, types.VerifierEndpoint{ValidatorAddress: valoper, Endpoint: endpoint})
		return err != nil, err
	})
}

// SetVerifierEndpoint implements types.MsgServer. The signer is the
// validator's operator account (validator_address is the signer field), so
// only the operator sets or removes its validator's endpoint.
func (s msgServer) SetVerifierEndpoint(ctx context.Context, msg *types.MsgSetVerifierEndpoint) (*types.MsgSetVerifierEndpointResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.SetVerifierEndpoint(ctx, msg.ValidatorAddress, msg.Endpoint); err != nil {
		return nil, err
	}
	return &types.MsgSetVerifierEndpointResponse{}, nil
}
