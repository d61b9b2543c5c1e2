package apptesting

import (
	"encoding/json"
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/app"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func addAccounts(t testing.TB, a *app.App, genesis map[string]json.RawMessage, accs []authtypes.GenesisAccount) map[string]json.RawMessage {
	t.Helper()
	var authGen authtypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(genesis[authtypes.ModuleName], &authGen)
	existing, err := authtypes.UnpackAccounts(authGen.Accounts)
	if err != nil {
		t.Fatal(err)
	}
	packed, err := authtypes.PackAccounts(append(existing, accs...))
	if err != nil {
		t.Fatal(err)
	}
	authGen.Accounts = packed
	genesis[authtypes.ModuleName] = a.AppCodec().MustMarshalJSON(&authGen)
	return genesis
}

// listWithoutCommitments sets x/datamarket's content_commit_delay_blocks
// and x/modelregistry's weights_commit_delay_blocks to 0 in genesis: the
// test chain lists datasets and registers weights without a commitment
// (MsgCommitContent, MsgCommitWeights), so that the tests of every other
// rule list or register in one message. The commitments' own tests set the
// delay (commit_test.go in each keeper), and the local network and the
// end-to-end tests run with it (cmd/aichaind/cmd localnet_commits.go).
func listWithoutCommitments(t testing.TB, a *app.App, genesis map[string]json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var dm datamarkettypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(genesis[datamarkettypes.ModuleName], &dm)
	dm.Params.ContentCommitDelayBlocks = 0
	genesis[datamarkettypes.ModuleName] = a.AppCodec().MustMarshalJSON(&dm)
	var mr modelregistrytypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(genesis[modelregistrytypes.ModuleName], &mr)
	mr.Params.WeightsCommitDelayBlocks = 0
	genesis[modelregistrytypes.ModuleName] = a.AppCodec().MustMarshalJSON(&mr)
	return genesis
}
