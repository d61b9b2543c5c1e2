package keeper

import (
	"context"

	"github.com/aichain/aichain/x/compute/types"
)

// RegisterBeaconKey implements types.MsgServer. The signer is the
// validator's operator account (validator_address is the signer field), so
// only the operator registers or rotates its validator's key.
func (s msgServer) RegisterBeaconKey(ctx context.Context, msg *types.MsgRegisterBeaconKey) (*types.MsgRegisterBeaconKeyResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	since, err := s.Keeper.RegisterBeaconKey(ctx, msg.ValidatorAddress, msg.Pubkey, msg.ProofOfPossession)
	if err != nil {
		return nil, err
	}
	return &types.MsgRegisterBeaconKeyResponse{Since: since}, nil
}
