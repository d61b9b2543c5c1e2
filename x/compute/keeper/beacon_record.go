package keeper

import (
	"context"
	"sort"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// RecordBeacon takes the beacon part of block b's injected commit, the
// commit of height b-1: set is that height's validator set with powers
// (every vote of the commit, absent ones too), votes the shares the
// committing validators sent. It opens the round of height b-1, records
// every share not yet recorded that verifies (VerifyBeaconShares; late
// precommits reach the proposer unverified, so nothing is trusted), closes
// the rounds of heights <= b-W (their beacons become final), and prunes the
// beacons older than BeaconRetentionBlocks. The work is bounded by the
// shares in the commit and the W rounds open; nothing scans all entries.
// It also keeps the set's size, which verdicts are charged by (SetSize).
func (k Keeper) RecordBeacon(ctx context.Context, set []types.BeaconVoter, votes []types.ValidatorShares) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if len(set) > 0 {
		if err := k.recordSetSize(ctx, set); err != nil {
			return err
		}
	}
	b := sdk.UnwrapSDKContext(ctx).BlockHeight()
	w := int64(params.BeaconWindowBlocks)
	if w > 0 && b > 1 && len(set) > 0 {
		if err := k.openRound(ctx, b-1, set); err != nil {
			return err
		}
	}
	if err := k.recordShares(ctx, votes); err != nil {
		return err
	}
	if err := k.closeRounds(ctx, b-w); err != nil {
		return err
	}
	return k.pruneBeacons(ctx, b-w-BeaconRetentionBlocks)
}

func (k Keeper) openRound(ctx context.Context, height int64, set []types.BeaconVoter) error {
	if has, err := k.BeaconRounds.Has(ctx, height); err != nil || has {
		return err
	}
	r := types.BeaconRound{Voters: make([]types.BeaconVoter, 0, len(set))}
	for _, v := range set {
		if v.Power <= 0 {
			continue
		}
		r.TotalPower += v.Power
		r.Voters = append(r.Voters, types.BeaconVoter{ConsAddress: v.ConsAddress, Power: v.Power})
		pub, err := k.BeaconKeyFor(ctx, v.ConsAddress, height)
		if err != nil {
			return err
		}
		if pub != nil {
			r.KeyedPower += v.Power
		}
	}
	sortVoters(r.Voters)
	if err := k.LastRound.Set(ctx, collections.Join(height, keyedRound(r))); err != nil {
		return err
	}
	return k.BeaconRounds.Set(ctx, height, r)
}

// keyedRound tells whether the validators with a key hold more than 2/3 of
// a round's power: below that, no beacon of its height can be available.
func keyedRound(r types.BeaconRound) bool {
	return math.NewInt(r.KeyedPower).MulRaw(3).GT(math.NewInt(r.TotalPower).MulRaw(2))
}

type pendingShare struct {
	cons, pub, sig []byte
}

// recordShares verifies, per height, the shares of validators of that
// height's open round that have a key for it and no recorded share yet, and
// records the valid ones.
func (k Keeper) recordShares(ctx context.Context, votes []types.ValidatorShares) error {
	rounds := map[int64]*types.BeaconRound{}
	byHeight := map[int64][]pendingShare{}
	for _, v := range votes {
		for _, s := range v.Shares {
			r, err := k.cachedRound(ctx, rounds, s.Height)
			if err != nil {
				return err
			}
			if r == nil || voterPower(*r, v.ConsAddress) == 0 {
				continue
			}
			if has, err := k.BeaconShares.Has(ctx, collections.Join(s.Height, v.ConsAddress)); err != nil || has {
				if err != nil {
					return err
				}
				continue
			}
			pub, err := k.BeaconKeyFor(ctx, v.ConsAddress, s.Height)
			if err != nil {
				return err
			}
			if pub == nil {
				continue
			}
			byHeight[s.Height] = append(byHeight[s.Height], pendingShare{cons: v.ConsAddress, pub: pub, sig: s.Signature})
		}
	}
	heights := make([]int64, 0, len(byHeight))
	for h := range byHeight {
		heights = append(heights, h)
	}
	sort.Slice(heights, func(i, j int) bool { return heights[i] < heights[j] })
	if len(heights) == 0 {
		return nil
	}
	chainID := sdk.UnwrapSDKContext(ctx).ChainID()
	tag, err := k.BeaconSigningTag(ctx)
	if err != nil {
		return err
	}
	for _, h := range heights {
		ps := byHeight[h]
		pubs, sigs := make([][]byte, len(ps)), make([][]byte, len(ps))
		for i, p := range ps {
			pubs[i], sigs[i] = p.pub, p.sig
		}
		valid := types.VerifyBeaconShares(types.BeaconShareMessage(chainID, tag, h), pubs, sigs)
		for i, p := range ps {
			sig := p.sig
			if !valid[i] {
				// Kept as refused (an empty share): a validator's share of a
				// height is unique, so one that does not verify never will,
				// and it is not checked again in the round's later blocks.
				k.Logger(ctx).Info("beacon share does not verify; refused", "height", h, "validator", sdk.ConsAddress(p.cons).String())
				sig = []byte{}
			}
			if err := k.BeaconShares.Set(ctx, collections.Join(h, p.cons), sig); err != nil {
				return err
			}
		}
	}
	return nil
}

func (k Keeper) cachedRound(ctx context.Context, cache map[int64]*types.BeaconRound, h int64) (*types.BeaconRound, error) {
	if r, ok := cache[h]; ok {
		return r, nil
	}
	r, err := k.BeaconRounds.Get(ctx, h)
	if err != nil {
		cache[h] = nil
		return nil, ignoreNotFound(err)
	}
	cache[h] = &r
	return &r, nil
}

// closeRounds makes final the beacons of the open rounds of heights <= upTo
// (at most MaxBeaconWindowBlocks + 1 rounds are ever open).
func (k Keeper) closeRounds(ctx context.Context, upTo int64) error {
	it, err := k.BeaconRounds.Iterate(ctx, new(collections.Range[int64]).EndInclusive(upTo))
	if err != nil {
		return err
	}
	kvs, err := it.KeyValues()
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if err := k.closeRound(ctx, kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// closeRound computes the beacon of height h from its recorded shares, in
// address order: available only if they carry more than 2/3 of the round's
// power. The shares and the round are removed.
func (k Keeper) closeRound(ctx context.Context, h int64, r types.BeaconRound) error {
	it, err := k.BeaconShares.Iterate(ctx, collections.NewPrefixedPairRange[int64, []byte](h))
	if err != nil {
		return err
	}
	kvs, err := it.KeyValues()
	if err != nil {
		return err
	}
	inputs := make([]types.BeaconInput, 0, len(kvs))
	var signed int64
	for _, kv := range kvs {
		if err := k.BeaconShares.Remove(ctx, kv.Key); err != nil {
			return err
		}
		if len(kv.Value) == 0 {
			continue // refused (recordShares)
		}
		cons := kv.Key.K2()
		signed += voterPower(r, cons)
		inputs = append(inputs, types.BeaconInput{ConsAddress: cons, Share: kv.Value})
	}
	beacon := types.Beacon{SignedPower: signed, TotalPower: r.TotalPower, Shares: uint32(len(inputs))}
	available := r.TotalPower > 0 && math.NewInt(signed).MulRaw(3).GT(math.NewInt(r.TotalPower).MulRaw(2))
	if available {
		beacon.Value = types.BeaconValue(h, inputs)
	}
	if err := k.Beacons.Set(ctx, h, beacon); err != nil {
		return err
	}
	if err := k.BeaconRounds.Remove(ctx, h); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventBeaconFinal{
		Height: h, Available: available, SignedPower: signed, TotalPower: r.TotalPower, Shares: beacon.Shares,
	})
}

// pruneBeacons removes the final beacons of heights <= upTo (one per block
// in a steady chain; at most 16 per call).
func (k Keeper) pruneBeacons(ctx context.Context, upTo int64) error {
	it, err := k.Beacons.Iterate(ctx, new(collections.Range[int64]).EndInclusive(upTo))
	if err != nil {
		return err
	}
	defer it.Close()
	var old []int64
	for ; it.Valid() && len(old) < 16; it.Next() {
		h, err := it.Key()
		if err != nil {
			return err
		}
		old = append(old, h)
	}
	for _, h := range old {
		if err := k.Beacons.Remove(ctx, h); err != nil {
			return err
		}
	}
	return nil
}
