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

// ApplyLocalnetGenesisDefaults shortens the governance periods of a local
// network's genesis. Production genesis files keep the SDK's defaults.
func ApplyLocalnetGenesisDefaults(cdc codec.JSONCodec, appState map[string]json.RawMessage) {
	var govGen govv1.GenesisState
	cdc.MustUnmarshalJSON(appState[govtypes.ModuleName], &govGen)
	voting, expedited, deposit := localnetVotingPeriod, localnetExpeditedVotingPeriod, localnetMaxDepositPeriod
	govGen.Params.VotingPeriod = &voting
	govGen.Params.ExpeditedVotingPeriod = &expedited
	govGen.Params.MaxDepositPeriod = &deposit
	appState[govtypes.ModuleName] = cdc.MustMarshalJSON(&govGen)
}
