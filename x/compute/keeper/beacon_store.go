package keeper

import (
	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"

	"github.com/cosmos/cosmos-sdk/codec"

	"github.com/aichain/aichain/x/compute/types"
)

// beaconStore is the sampling beacon's state (beacon.go, beacon_record.go,
// beacon_genesis.go, beacon_zeroheight.go), embedded in Keeper.
type beaconStore struct {
	BeaconKeys collections.Map[[]byte, types.BeaconKey]
	// BeaconKeyCount is the number of BeaconKeys entries (beaconActive).
	BeaconKeyCount collections.Item[uint64]
	// LastRound is the last round opened: its height, and whether it was
	// keyed (> 2/3 of its power with a key; beaconActive).
	LastRound       collections.Item[collections.Pair[int64, bool]]
	BeaconKeyOwners collections.Map[[]byte, []byte]
	BeaconRounds    collections.Map[int64, types.BeaconRound]
	BeaconShares    collections.Map[collections.Pair[int64, []byte], []byte]
	Beacons         collections.Map[int64, types.Beacon]
	// RestartTag and Launch make the beacon's signing tag (BeaconSigningTag).
	RestartTag, Launch collections.Item[[]byte]
}

func newBeaconStore(sb *collections.SchemaBuilder, cdc codec.BinaryCodec) beaconStore {
	return beaconStore{
		BeaconKeys: collections.NewMap(sb, types.BeaconKeysKey, "beacon_keys", collections.BytesKey,
			codec.CollValue[types.BeaconKey](cdc)),
		BeaconKeyCount: collections.NewItem(sb, types.BeaconKeyCountKey, "beacon_key_count", collections.Uint64Value),
		RestartTag:     collections.NewItem(sb, types.BeaconRestartTagKey, "beacon_restart_tag", collections.BytesValue),
		Launch:         collections.NewItem(sb, types.BeaconLaunchKey, "beacon_launch", collections.BytesValue),
		LastRound: collections.NewItem(sb, types.LastRoundKey, "last_round",
			collcodec.KeyToValueCodec(collections.PairKeyCodec(collections.Int64Key, collections.BoolKey))),
		BeaconKeyOwners: collections.NewMap(sb, types.BeaconKeyOwnersKey, "beacon_key_owners", collections.BytesKey, collections.BytesValue),
		BeaconRounds: collections.NewMap(sb, types.BeaconRoundsKey, "beacon_rounds", collections.Int64Key,
			codec.CollValue[types.BeaconRound](cdc)),
		BeaconShares: collections.NewMap(sb, types.BeaconSharesKey, "beacon_shares",
			collections.PairKeyCodec(collections.Int64Key, collections.BytesKey), collections.BytesValue),
		Beacons: collections.NewMap(sb, types.BeaconsKey, "beacons", collections.Int64Key, codec.CollValue[types.Beacon](cdc)),
	}
}
