package keeper

import (
	"context"

	"github.com/aichain/aichain/x/compute/types"
)

// initBeaconKeys registers the genesis beacon keys of validators that exist
// (gentxs and staking genesis run before x/compute), each checked as
// MsgRegisterBeaconKey is; they sign from the first block.
func (k Keeper) initBeaconKeys(ctx context.Context, keys []types.GenesisBeaconKey) error {
	for i, g := range keys {
		if _, err := k.RegisterBeaconKey(ctx, g.ValidatorAddress, g.Pubkey, g.ProofOfPossession); err != nil {
			return types.ErrInvalidGenesis.Wrapf("beacon_keys[%d]: %v", i, err)
		}
		cons, err := k.BeaconKeyOwners.Get(ctx, g.Pubkey)
		if err != nil {
			return err
		}
		key, err := k.BeaconKeys.Get(ctx, cons)
		if err != nil {
			return err
		}
		key.Since = 0
		if err := k.BeaconKeys.Set(ctx, cons, key); err != nil {
			return err
		}
	}
	return nil
}

// exportBeaconKeys exports the current keys (a rotation's previous key is
// not: an imported chain starts with the current ones).
func (k Keeper) exportBeaconKeys(ctx context.Context) ([]types.GenesisBeaconKey, error) {
	var out []types.GenesisBeaconKey
	err := k.BeaconKeys.Walk(ctx, nil, func(_ []byte, key types.BeaconKey) (bool, error) {
		out = append(out, types.GenesisBeaconKey{
			ValidatorAddress: key.ValidatorAddress, Pubkey: key.Pubkey, ProofOfPossession: key.ProofOfPossession,
		})
		return false, nil
	})
	return out, err
}
