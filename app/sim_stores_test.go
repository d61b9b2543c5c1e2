package app

import (
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/x/feegrant"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
	stakingrewardstypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// The store comparison after a genesis export and import.

// importExportSkipPrefixes are the store prefixes that InitGenesis rebuilds
// differently or not at all (the same as the SDK's simapp). A module's queue
// heads (modkit.QueueHeads) are not exported: an imported chain walks each
// queue once and stores them again. x/compute's beacon launch tag is each
// InitChain's own (its genesis time and initial height).
var importExportSkipPrefixes = map[string][][]byte{
	computetypes.StoreKey:        {computetypes.QueueHeadsKey, computetypes.BeaconLaunchKey},
	datamarkettypes.StoreKey:     {datamarkettypes.QueueHeadsKey},
	modelregistrytypes.StoreKey:  {modelregistrytypes.QueueHeadsKey},
	stakingrewardstypes.StoreKey: {stakingrewardstypes.QueueHeadsKey},
	stakingtypes.StoreKey: {
		stakingtypes.UnbondingQueueKey, stakingtypes.RedelegationQueueKey, stakingtypes.ValidatorQueueKey,
		stakingtypes.HistoricalInfoKey, stakingtypes.UnbondingIDKey, stakingtypes.UnbondingIndexKey,
		stakingtypes.UnbondingTypeKey, stakingtypes.ValidatorUpdatesKey,
	},
	authzkeeper.StoreKey:   {authzkeeper.GrantQueuePrefix},
	feegrant.StoreKey:      {feegrant.FeeAllowanceQueueKeyPrefix},
	slashingtypes.StoreKey: {slashingtypes.ValidatorMissedBlockBitmapKeyPrefix},
}

// assertEqualStores compares every KV store of a and b (except the skipped
// prefixes) and returns how many it compared.
func assertEqualStores(tb testing.TB, a, b *App) int {
	tb.Helper()
	ctxA := a.NewContextLegacy(true, cmtproto.Header{Height: a.LastBlockHeight()})
	ctxB := b.NewContextLegacy(true, cmtproto.Header{Height: a.LastBlockHeight()})
	decoders := a.SimulationManager().StoreDecoders
	n := 0
	for name, keyA := range a.keys {
		keyB := b.GetKey(name)
		if keyB == nil {
			tb.Fatalf("store %s missing in the imported app", name)
		}
		kvAs, kvBs := simtestutil.DiffKVStores(ctxA.KVStore(keyA), ctxB.KVStore(keyB), importExportSkipPrefixes[name])
		if len(kvAs) != len(kvBs) || len(kvAs) != 0 {
			for _, kv := range kvAs {
				tb.Logf("store %s, exported app: %X", name, kv.Key)
			}
			for _, kv := range kvBs {
				tb.Logf("store %s, imported app: %X", name, kv.Key)
			}
			detail := ""
			if len(kvAs) == len(kvBs) {
				detail = simtestutil.GetSimulationLog(name, decoders, kvAs, kvBs)
			}
			tb.Fatalf("store %s differs after import (%d vs %d entries):\n%s", name, len(kvAs), len(kvBs), detail)
		}
		n++
	}
	return n
}
