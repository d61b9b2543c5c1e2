package cmd

import (
	"encoding/json"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
)

// Localnet timings: short enough that a newcomer can walk a governance
// proposal from deposit to result in about a minute.
const (
	localnetVotingPeriod          = 45 * time.Second
	localnetExpeditedVotingPeriod = 20 * time.Second
	localnetMaxDepositPeriod      = 45 * time.Second
)

// LocalnetGenesisHook changes one module's genesis for local networks.
type LocalnetGenesisHook func(cdc codec.JSONCodec, appState map[string]json.RawMessage)

// localnetGenesisHooks are the aichain modules' localnet settings (short
// windows and tiers); each module registers its own from an init() in a file
// localnet_<module>.go in this package.
var localnetGenesisHooks []LocalnetGenesisHook

// ApplyLocalnetGenesisDefaults shortens the governance periods of a local
// network's genesis, then applies each module's localnet hook. Production
// genesis files keep the defaults.
func ApplyLocalnetGenesisDefaults(cdc codec.JSONCodec, appState map[string]json.RawMessage) {
	defer func() {
		for _, hook := range localnetGenesisHooks {
			hook(cdc, appState)
		}
	}()
	var govGen govv1.GenesisState
	cdc.MustUnmarshalJSON(appState[govtypes.ModuleName], &govGen)
	voting, expedited, deposit := localnetVotingPeriod, localnetExpeditedVotingPeriod, localnetMaxDepositPeriod
	govGen.Params.VotingPeriod = &voting
	govGen.Params.ExpeditedVotingPeriod = &expedited
	govGen.Params.MaxDepositPeriod = &deposit
	appState[govtypes.ModuleName] = cdc.MustMarshalJSON(&govGen)
}
