package keeper

import (
	"bytes"
	"context"
	"errors"
	"sort"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// BeaconRetentionBlocks is how long a final beacon is kept for the draws
// that combine it (a draw delayed longer by a queue backlog falls back to
// the header hash, with an EventBeaconUnavailable).
const BeaconRetentionBlocks = 2_000

// RegisterBeaconKey registers or rotates the beacon key of the validator
// valoper (the signer: its operator account). The proof of possession binds
// the chain-id, the operator address and the key, so nobody registers a key
// derived from another's (rogue keys would make the aggregate check of
// VerifyBeaconShares unsound). A first key counts for the heights after this
// block; a rotation likewise, and only once the previous key's shares of
// the last beacon_window_blocks heights have closed (ErrBeaconKeyPending).
// Returns the first height the key signs.
func (k Keeper) RegisterBeaconKey(ctx context.Context, valoper string, pubkey, pop []byte) (int64, error) {
	if k.StakingKeeper == nil {
		return 0, types.ErrNotValidator.Wrap("no staking keeper")
	}
	valAddr, err := k.StakingKeeper.ValidatorAddressCodec().StringToBytes(valoper)
	if err != nil {
		return 0, types.ErrInvalidAddress.Wrapf("validator_address: %v", err)
	}
	// The proof binds, and the key records, the canonical spelling (an
	// upper-case one reads as the same validator).
	if valoper, err = k.StakingKeeper.ValidatorAddressCodec().BytesToString(valAddr); err != nil {
		return 0, types.ErrInvalidAddress.Wrapf("validator_address: %v", err)
	}
	val, err := k.StakingKeeper.GetValidator(ctx, valAddr)
	if err != nil {
		return 0, types.ErrNotValidator.Wrapf("%s: %v", valoper, err)
	}
	if !val.IsBonded() {
		// A key of a validator outside the set signs no round.
		return 0, types.ErrNotValidator.Wrapf("%s is %s: only a bonded validator registers a beacon key", valoper, val.GetStatus())
	}
	cons, err := val.GetConsAddr()
	if err != nil {
		return 0, types.ErrNotValidator.Wrapf("%s has no consensus key: %v", valoper, err)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if err := types.VerifyBeaconPoP(sdkCtx.ChainID(), valoper, pubkey, pop); err != nil {
		return 0, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	return k.setBeaconKey(ctx, valoper, cons, pubkey, pop, int64(params.BeaconWindowBlocks))
}

func (k Keeper) setBeaconKey(ctx context.Context, valoper string, cons, pubkey, pop []byte, window int64) (int64, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if owner, err := k.BeaconKeyOwners.Get(ctx, pubkey); err == nil {
		if !bytes.Equal(owner, cons) {
			return 0, types.ErrBeaconKeyTaken.Wrap("this key belongs to another validator")
		}
		return 0, types.ErrInvalidBeaconKey.Wrap("this key is already the validator's key")
	} else if !errors.Is(err, collections.ErrNotFound) {
		return 0, err
	}
	key := types.BeaconKey{ValidatorAddress: valoper, Pubkey: pubkey, Since: h + 1, ProofOfPossession: pop}
	old, err := k.BeaconKeys.Get(ctx, cons)
	switch {
	case err == nil:
		if h < old.Since+window {
			return 0, types.ErrBeaconKeyPending.Wrapf("the current key signs from height %d; rotate from height %d",
				old.Since, old.Since+window)
		}
		key.PreviousPubkey = old.Pubkey
		if err := k.BeaconKeyOwners.Remove(ctx, old.Pubkey); err != nil {
			return 0, err
		}
	case errors.Is(err, collections.ErrNotFound):
		if err := k.countBeaconKey(ctx); err != nil {
			return 0, err
		}
	default:
		return 0, err
	}
	if err := k.BeaconKeys.Set(ctx, cons, key); err != nil {
		return 0, err
	}
	if err := k.BeaconKeyOwners.Set(ctx, pubkey, cons); err != nil {
		return 0, err
	}
	return key.Since, modkit.EmitTypedEvent(ctx, &types.EventBeaconKeyRegistered{
		ValidatorAddress: valoper, ConsAddress: cons, Pubkey: pubkey, Since: key.Since,
	})
}

// BeaconKeyFor is the key that signs a validator's share of height (nil:
// none).
func (k Keeper) BeaconKeyFor(ctx context.Context, cons []byte, height int64) ([]byte, error) {
	key, err := k.BeaconKeys.Get(ctx, cons)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if height >= key.Since {
		return key.Pubkey, nil
	}
	return key.PreviousPubkey, nil
}

// BeaconOwner is the consensus address that registered pubkey (nil: none).
func (k Keeper) BeaconOwner(ctx context.Context, pubkey []byte) ([]byte, error) {
	cons, err := k.BeaconKeyOwners.Get(ctx, pubkey)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, nil
	}
	return cons, err
}

// beaconActive tells whether draws wait for the beacon: it is on
// (beacon_window_blocks > 0) and the validators with a key hold more than
// 2/3 of the power of the last round opened (the previous height's set,
// keyed_power), below which no beacon can be available: a key registered
// for a validator outside the set, or left by one that has gone, delayed
// every draw by W + 1 blocks for nothing
// (TestAttackUnbondedValidatorKeyDelaysEveryDraw). With no round of the
// previous height (the beacon's first block, or a chain whose blocks carry
// no commit) some validator must have registered a key (BeaconKeyCount).
// Point reads only: an iterator here, once per submission and dispute,
// scanned every write of the block so far to the module's store (the SDK's
// cache store sorts its unsorted writes for each iterator) and opened a
// LevelDB iterator, ~70 µs a submission in a block of 1,000 at the node.
// And small ones: openRound records whether its round was keyed
// (LastRound), so a submission does not read and decode the round's voter
// list, the whole set (TestBeaconActiveReadDoesNotGrowWithTheSet). A round
// opened before LastRound existed (the upgrade's block) is read whole.
func (k Keeper) beaconActive(ctx context.Context, params types.Params) (bool, error) {
	if params.BeaconWindowBlocks == 0 {
		return false, nil
	}
	prev := sdk.UnwrapSDKContext(ctx).BlockHeight() - 1
	last, err := k.LastRound.Get(ctx)
	if err == nil && last.K1() == prev {
		return last.K2(), nil
	}
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return false, err
	}
	r, err := k.BeaconRounds.Get(ctx, prev)
	if err == nil {
		return keyedRound(r), nil
	}
	if !errors.Is(err, collections.ErrNotFound) {
		return false, err
	}
	n, err := k.BeaconKeyCount.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return false, nil
	}
	return n > 0, err
}

// countBeaconKey counts a validator's first beacon key (a rotation replaces
// a key and does not count).
func (k Keeper) countBeaconKey(ctx context.Context) error {
	n, err := k.BeaconKeyCount.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	return k.BeaconKeyCount.Set(ctx, n+1)
}

// BeaconWindow is beacon_window_blocks (0: the beacon is off).
func (k Keeper) BeaconWindow(ctx context.Context) (int64, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	return int64(params.BeaconWindowBlocks), nil
}

// BeaconRestartTag is the chain's beacon restart tag (exported): nil on a
// chain never restarted from a zero-height export.
func (k Keeper) BeaconRestartTag(ctx context.Context) ([]byte, error) {
	tag, err := k.RestartTag.Get(ctx)
	if err != nil {
		return nil, ignoreNotFound(err)
	}
	return tag, nil
}

// BeaconSigningTag is what every share signs after the height
// (types.BeaconShareMessage): the restart tag combined with the run's launch
// tag (types.BeaconSigningTag); nil on a chain running since before both.
func (k Keeper) BeaconSigningTag(ctx context.Context) ([]byte, error) {
	restart, err := k.BeaconRestartTag(ctx)
	if err != nil {
		return nil, err
	}
	launch, err := k.Launch.Get(ctx)
	if err != nil {
		return restart, ignoreNotFound(err)
	}
	return types.BeaconSigningTag(restart, launch), nil
}

// sortVoters orders a round's voters by address (the order shares are
// hashed in, and the one voterPower searches).
func sortVoters(vs []types.BeaconVoter) {
	sort.Slice(vs, func(i, j int) bool { return bytes.Compare(vs[i].ConsAddress, vs[j].ConsAddress) < 0 })
}

// voterPower is a validator's power in a round (0: not in its set).
func voterPower(r types.BeaconRound, cons []byte) int64 {
	i := sort.Search(len(r.Voters), func(i int) bool { return bytes.Compare(r.Voters[i].ConsAddress, cons) >= 0 })
	if i < len(r.Voters) && bytes.Equal(r.Voters[i].ConsAddress, cons) {
		return r.Voters[i].Power
	}
	return 0
}
