package apptesting

import (
	"encoding/json"
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/app"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
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

// listWithoutCommitments sets x/datamarket's content_commit_delay_blocks to
// 0 in genesis: the test chain lists new content without a commitment
// (MsgCommitContent), so that the tests of every other rule list a dataset
// in one message. The commitments' own tests set the delay
// (x/datamarket/keeper commit_test.go), and the local network and the
// end-to-end tests run with it (scripts/localnet.sh).
func listWithoutCommitments(t testing.TB, a *app.App, genesis map[string]json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var dm datamarkettypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(genesis[datamarkettypes.ModuleName], &dm)
	dm.Params.ContentCommitDelayBlocks = 0
	genesis[datamarkettypes.ModuleName] = a.AppCodec().MustMarshalJSON(&dm)
	return genesis
}
