package cmd

import (
	"encoding/json"

	"github.com/cosmos/cosmos-sdk/codec"

	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// localnetContentCommitDelay is the local network's
// content_commit_delay_blocks: a listing is accepted 2 blocks (2 s) after
// its owner's commitment (commit-dataset), not 10.
const localnetContentCommitDelay = 2

func init() {
	localnetGenesisHooks = append(localnetGenesisHooks, localnetDatamarket)
}

func localnetDatamarket(cdc codec.JSONCodec, appState map[string]json.RawMessage) {
	raw, ok := appState[datamarkettypes.ModuleName]
	if !ok {
		return
	}
	var gs datamarkettypes.GenesisState
	cdc.MustUnmarshalJSON(raw, &gs)
	gs.Params.ContentCommitDelayBlocks = localnetContentCommitDelay
	appState[datamarkettypes.ModuleName] = cdc.MustMarshalJSON(&gs)
}
