package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// initBeacon imports the beacon state: the keys (initBeaconKeys), the final
// beacons, the open rounds with their recorded shares, the last round
// opened and the restart tag, so that a draw pending at the export
// combines the same beacons after the import
// (TestAttackPlainExportTurnsBeaconDrawIntoHeaderHash).
// Genesis Validate checked them without state.
func (k Keeper) initBeacon(ctx context.Context, gs *types.GenesisState) error {
	if err := beaconHeightsBefore(gs, max(sdk.UnwrapSDKContext(ctx).BlockHeight(), 1)); err != nil {
		return err
	}
	if err := k.initBeaconKeys(ctx, gs.BeaconKeys); err != nil {
		return err
	}
	for _, b := range gs.Beacons {
		if err := k.Beacons.Set(ctx, b.Height, b.Beacon); err != nil {
			return err
		}
	}
	for _, r := range gs.BeaconRounds {
		if err := k.BeaconRounds.Set(ctx, r.Height, r.Round); err != nil {
			return err
		}
		for _, s := range r.Shares {
			sig := s.Signature
			if sig == nil {
				sig = []byte{} // refused (recordShares); the store takes no nil value
			}
			if err := k.BeaconShares.Set(ctx, collections.Join(r.Height, s.ConsAddress), sig); err != nil {
				return err
			}
		}
	}
	if len(gs.BeaconRestartTag) > 0 {
		if err := k.RestartTag.Set(ctx, gs.BeaconRestartTag); err != nil {
			return err
		}
	}
	// This run's launch (not exported: every InitChain makes its own), so
	// that two runs from one export sign alike only if their genesis times
	// are the same (TestAttackRetriedRestartReplaysTheAbortedRunsBeacons).
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if err := k.Launch.Set(ctx, types.BeaconLaunchTag(sdkCtx.BlockTime(), sdkCtx.BlockHeight())); err != nil {
		return err
	}
	if gs.LastRound != nil {
		return k.LastRound.Set(ctx, collections.Join(gs.LastRound.Height, gs.LastRound.Keyed))
	}
	return nil
}

// initBeaconKeys stores the genesis beacon keys as they are given: the
// validator need not be bonded (a key stays registered when its validator
// leaves the set, so an export lists keys of jailed and unbonding
// validators: TestAttackJailedValidatorsBeaconKeyBreaksReimport), and the
// proof of possession is not checked again (it binds the chain-id it was
// made on, which a restart may change:
// TestAttackNewChainIDRestartRefusesEveryBeaconKey; a new network's genesis
// is as trusted as its validator set). A key without cons_address (a new
// network's, `testnet init-files`) is its staking validator's, which must
// exist (gentxs and staking genesis run before x/compute). What keeps the
// state consistent is checked: one key per validator, each key owned once
// (BeaconKeyOwners), BeaconKeyCount counting them.
func (k Keeper) initBeaconKeys(ctx context.Context, keys []types.GenesisBeaconKey) error {
	for i, g := range keys {
		cons, valoper := g.ConsAddress, g.ValidatorAddress
		if len(cons) == 0 {
			var err error
			if cons, valoper, err = k.stakingConsAddress(ctx, g.ValidatorAddress); err != nil {
				return types.ErrInvalidGenesis.Wrapf("beacon_keys[%d]: %v", i, err)
			}
		}
		if has, err := k.BeaconKeys.Has(ctx, cons); err != nil || has {
			if err != nil {
				return err
			}
			return types.ErrInvalidGenesis.Wrapf("beacon_keys[%d]: validator %s has a key already", i, valoper)
		}
		if has, err := k.BeaconKeyOwners.Has(ctx, g.Pubkey); err != nil || has {
			if err != nil {
				return err
			}
			return types.ErrInvalidGenesis.Wrapf("beacon_keys[%d]: the key belongs to another validator", i)
		}
		key := types.BeaconKey{
			ValidatorAddress: valoper, Pubkey: g.Pubkey, Since: g.Since,
			PreviousPubkey: g.PreviousPubkey, ProofOfPossession: g.ProofOfPossession,
		}
		if err := k.BeaconKeys.Set(ctx, cons, key); err != nil {
			return err
		}
		if err := k.BeaconKeyOwners.Set(ctx, g.Pubkey, cons); err != nil {
			return err
		}
		if err := k.countBeaconKey(ctx); err != nil {
			return err
		}
	}
	return nil
}

// stakingConsAddress is the consensus address and canonical operator
// address of the staking validator valoper, whatever its status.
func (k Keeper) stakingConsAddress(ctx context.Context, valoper string) ([]byte, string, error) {
	_, valoper, val, err := k.stakingValidator(ctx, valoper)
	if err != nil {
		return nil, "", err
	}
	cons, err := val.GetConsAddr()
	if err != nil {
		return nil, "", types.ErrNotValidator.Wrapf("%s has no consensus key: %v", valoper, err)
	}
	return cons, valoper, nil
}

// exportBeacon writes the beacon state out: every key with its consensus
// address, since and previous key; the final beacons kept; the open rounds
// with their recorded shares; the last round opened; the restart tag.
func (k Keeper) exportBeacon(ctx context.Context, gs *types.GenesisState) error {
	if err := k.BeaconKeys.Walk(ctx, nil, func(cons []byte, key types.BeaconKey) (bool, error) {
		gs.BeaconKeys = append(gs.BeaconKeys, types.GenesisBeaconKey{
			ValidatorAddress: key.ValidatorAddress, Pubkey: key.Pubkey, ProofOfPossession: key.ProofOfPossession,
			ConsAddress: cons, Since: key.Since, PreviousPubkey: key.PreviousPubkey,
		})
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.Beacons.Walk(ctx, nil, func(h int64, b types.Beacon) (bool, error) {
		gs.Beacons = append(gs.Beacons, types.GenesisBeacon{Height: h, Beacon: b})
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.BeaconRounds.Walk(ctx, nil, func(h int64, r types.BeaconRound) (bool, error) {
		entry := types.GenesisBeaconRound{Height: h, Round: r}
		err := k.BeaconShares.Walk(ctx, collections.NewPrefixedPairRange[int64, []byte](h), func(key collections.Pair[int64, []byte], sig []byte) (bool, error) {
			entry.Shares = append(entry.Shares, types.GenesisBeaconShare{ConsAddress: key.K2(), Signature: sig})
			return false, nil
		})
		gs.BeaconRounds = append(gs.BeaconRounds, entry)
		return false, err
	}); err != nil {
		return err
	}
	tag, err := k.BeaconRestartTag(ctx)
	if err != nil {
		return err
	}
	gs.BeaconRestartTag = tag
	last, err := k.LastRound.Get(ctx)
	switch {
	case err == nil:
		gs.LastRound = &types.GenesisLastRound{Height: last.K1(), Keyed: last.K2()}
	case !errors.Is(err, collections.ErrNotFound):
		return err
	}
	return nil
}

// beaconHeightsBefore refuses beacon state of a height the chain has not
// reached (first, the genesis block's): an export holds only rounds opened,
// and beacons made, at heights already committed. A genesis that planted an
// open round of a later height, listing only the attacker's validator as
// its set, had openRound keep it when the chain got there, and the
// attacker's share alone made that height's beacon, a value it knew in
// advance (TestAttackGenesisPlantsAFutureBeaconRound).
func beaconHeightsBefore(gs *types.GenesisState, first int64) error {
	for _, b := range gs.Beacons {
		if b.Height >= first {
			return types.ErrInvalidGenesis.Wrapf("beacon of height %d: the chain starts at %d", b.Height, first)
		}
	}
	for _, r := range gs.BeaconRounds {
		if r.Height >= first {
			return types.ErrInvalidGenesis.Wrapf("beacon round of height %d: the chain starts at %d", r.Height, first)
		}
	}
	if gs.LastRound != nil && gs.LastRound.Height >= first {
		return types.ErrInvalidGenesis.Wrapf("last beacon round %d: the chain starts at %d", gs.LastRound.Height, first)
	}
	return nil
}
