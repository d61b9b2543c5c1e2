package app

import (
	"slices"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"cosmossdk.io/collections"
	"cosmossdk.io/x/feegrant"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
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
// InitChain's own (its genesis time and initial height). x/compute's
// counted verdicts are keyed by the height that counted them, which the
// export does not carry: a job under check's are filed again under heights
// −n … −1 in their order (keeper.putCounted), and compared as each job's
// ordered list instead (assertEqualCounted).
var importExportSkipPrefixes = map[string][][]byte{
	computetypes.StoreKey:        {computetypes.QueueHeadsKey, computetypes.BeaconLaunchKey, computetypes.CountedKey},
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
	assertEqualCounted(tb, ctxA, ctxB, a, b)
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

// assertEqualCounted compares x/compute's counted verdicts of a and b job by
// job, in the order they were counted.
func assertEqualCounted(tb testing.TB, ctxA, ctxB sdk.Context, a, b *App) {
	tb.Helper()
	lists := func(ctx sdk.Context, app *App) map[uint64][]string {
		out := map[uint64][]string{}
		err := app.ComputeKeeper.Counted.Walk(ctx, nil, func(k collections.Triple[uint64, int64, []byte], cv computetypes.CountedVerdict) (bool, error) {
			out[k.K1()] = append(out[k.K1()], cv.String())
			return false, nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		return out
	}
	la, lb := lists(ctxA, a), lists(ctxB, b)
	if len(la) != len(lb) {
		tb.Fatalf("counted verdicts of %d jobs exported, %d imported", len(la), len(lb))
	}
	for id, want := range la {
		if got := lb[id]; !slices.Equal(got, want) {
			tb.Fatalf("job %d: counted verdicts %v imported, %v exported", id, got, want)
		}
	}
}
