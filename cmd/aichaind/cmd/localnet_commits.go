package cmd

import (
	"encoding/json"

	"github.com/cosmos/cosmos-sdk/codec"

	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// localnetCommitDelay is the local network's content_commit_delay_blocks
// (x/datamarket) and weights_commit_delay_blocks (x/modelregistry): a
// listing or a registration is accepted 2 blocks (2 s) after its owner's
// commitment (commit-dataset, commit-model), not 10.
const localnetCommitDelay = 2

func init() {
	localnetGenesisHooks = append(localnetGenesisHooks, localnetCommits)
}

func localnetCommits(cdc codec.JSONCodec, appState map[string]json.RawMessage) {
	if raw, ok := appState[datamarkettypes.ModuleName]; ok {
		var gs datamarkettypes.GenesisState
		cdc.MustUnmarshalJSON(raw, &gs)
		gs.Params.ContentCommitDelayBlocks = localnetCommitDelay
		appState[datamarkettypes.ModuleName] = cdc.MustMarshalJSON(&gs)
	}
	if raw, ok := appState[modelregistrytypes.ModuleName]; ok {
		var gs modelregistrytypes.GenesisState
		cdc.MustUnmarshalJSON(raw, &gs)
		gs.Params.WeightsCommitDelayBlocks = localnetCommitDelay
		appState[modelregistrytypes.ModuleName] = cdc.MustMarshalJSON(&gs)
	}
}
