package apptesting

import (
	"encoding/json"
	"testing"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/aichain/aichain/app"
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
