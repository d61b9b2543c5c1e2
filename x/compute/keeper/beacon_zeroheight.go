package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/aichain/aichain/x/compute/types"
)

// shiftBeaconHeight is where a zero-height export moves a height of the
// beacon state and of the jobs' beacon_heights: h − exportHeight, without
// the clamp of common.RebaseHeight, which would put every height at or
// before the export at 0. The beacon's heights must stay distinct and keep
// their distance to the blocks: a round of height j closes in the block
// j + beacon_window_blocks, a final beacon is pruned BeaconRetentionBlocks
// after, a key signs from its since, and a pending draw combines the
// beacons of its job's beacon_heights. The new chain's height 1 stands for
// the block after the export, so every one of them lands where it was
// relative to the blocks; heights at or before the export become 0 or
// negative (collections order negative int64 keys before the positive
// ones), which no vote extension signs (they sign heights from 1).
func shiftBeaconHeight(h, exportHeight int64) int64 { return h - exportHeight }

// rebaseBeacon shifts every height keying the beacon state for a zero-height
// export (PrepareForZeroHeight): the final beacons, the open rounds and
// their shares, the last round opened, and each key's since. With the jobs'
// beacon_heights shifted alike (rebaseJobs), a draw pending at the export
// runs from the same final beacons after the restart, and from the rounds
// open at the export once they close (TestZeroHeightExportKeepsTheBeaconDraw).
func (k Keeper) rebaseBeacon(ctx context.Context, exportHeight int64) error {
	if err := k.newRestartTag(ctx, exportHeight); err != nil {
		return errorsmod.Wrap(err, "zero-height export: beacon restart tag")
	}
	shift := func(h int64) int64 { return shiftBeaconHeight(h, exportHeight) }
	if err := shiftHeightKeys(ctx, k.Beacons, shift); err != nil {
		return errorsmod.Wrap(err, "zero-height export: beacons")
	}
	if err := shiftHeightKeys(ctx, k.BeaconRounds, shift); err != nil {
		return errorsmod.Wrap(err, "zero-height export: beacon rounds")
	}
	it, err := k.BeaconShares.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: beacon shares")
	}
	shares, err := it.KeyValues()
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: beacon shares")
	}
	if err := k.BeaconShares.Clear(ctx, nil); err != nil {
		return errorsmod.Wrap(err, "zero-height export: beacon shares")
	}
	for _, kv := range shares {
		if err := k.BeaconShares.Set(ctx, collections.Join(shift(kv.Key.K1()), kv.Key.K2()), kv.Value); err != nil {
			return errorsmod.Wrap(err, "zero-height export: beacon shares")
		}
	}
	if last, err := k.LastRound.Get(ctx); err == nil {
		if err := k.LastRound.Set(ctx, collections.Join(shift(last.K1()), last.K2())); err != nil {
			return errorsmod.Wrap(err, "zero-height export: last round")
		}
	} else if err = ignoreNotFound(err); err != nil {
		return errorsmod.Wrap(err, "zero-height export: last round")
	}
	keys, err := k.BeaconKeys.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: beacon keys")
	}
	kvs, err := keys.KeyValues()
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: beacon keys")
	}
	for _, kv := range kvs {
		key := kv.Value
		key.Since = shift(key.Since)
		if err := k.BeaconKeys.Set(ctx, kv.Key, key); err != nil {
			return errorsmod.Wrap(err, "zero-height export: beacon keys")
		}
	}
	return nil
}

// newRestartTag gives the chain exported for zero height a new beacon
// restart tag (types.BeaconRestartTag over its tag so far, the export
// height and its latest final beacon), which every share of the restarted
// chain signs: it starts again at height 1 with the same keys, and most
// often the same chain-id, and a share bound to those alone would be the
// old chain's share of the same height, long public, so every draw of the
// restarted chain would be known in advance
// (TestAttackZeroHeightRestartReplaysTheOldChainsBeacons).
func (k Keeper) newRestartTag(ctx context.Context, exportHeight int64) error {
	prev, err := k.BeaconSigningTag(ctx)
	if err != nil {
		return err
	}
	var last []byte
	it, err := k.Beacons.Iterate(ctx, new(collections.Range[int64]).Descending())
	if err != nil {
		return err
	}
	defer it.Close()
	if it.Valid() {
		b, err := it.Value()
		if err != nil {
			return err
		}
		last = b.Value
	}
	return k.RestartTag.Set(ctx, types.BeaconRestartTag(prev, exportHeight, last))
}

// shiftHeightKeys rewrites every height key h of m to shift(h), reading
// every entry first so that none moves twice.
func shiftHeightKeys[V any](ctx context.Context, m collections.Map[int64, V], shift func(int64) int64) error {
	it, err := m.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	kvs, err := it.KeyValues()
	if err != nil {
		return err
	}
	if err := m.Clear(ctx, nil); err != nil {
		return err
	}
	for _, kv := range kvs {
		if err := m.Set(ctx, shift(kv.Key), kv.Value); err != nil {
			return err
		}
	}
	return nil
}
