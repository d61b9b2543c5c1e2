package cmd

import (
	"encoding/json"
	"time"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"

	stakingrewardstypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// Localnet lock tiers: minutes instead of days, so that a newcomer can lock,
// unlock and withdraw within a few minutes; as in production, the shortest
// tier earns rewards but does not vote (min_vote_lock_duration 2 minutes,
// where production's 21 days leaves out its 7-day tier).
func init() {
	localnetGenesisHooks = append(localnetGenesisHooks, func(cdc codec.JSONCodec, appState map[string]json.RawMessage) {
		raw, ok := appState[stakingrewardstypes.ModuleName]
		if !ok {
			return
		}
		var gen stakingrewardstypes.GenesisState
		cdc.MustUnmarshalJSON(raw, &gen)
		gen.Params.LockTiers = []stakingrewardstypes.LockTier{
			{Duration: 1 * time.Minute, Multiplier: math.LegacyOneDec()},
			{Duration: 2 * time.Minute, Multiplier: math.LegacyNewDecWithPrec(125, 2)},
			{Duration: 5 * time.Minute, Multiplier: math.LegacyNewDecWithPrec(15, 1)},
			{Duration: 10 * time.Minute, Multiplier: math.LegacyNewDec(2)},
		}
		gen.Params.MinVoteLockDuration = 2 * time.Minute
		appState[stakingrewardstypes.ModuleName] = cdc.MustMarshalJSON(&gen)
	})
}
