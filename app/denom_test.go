package app_test

import (
	"testing"

	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// TestDefaultGenesisHasDenomMetadata: the genesis that init and testnet
// init-files write (the basic manager's default) carries uaic's metadata,
// and it validates.
func TestDefaultGenesisHasDenomMetadata(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	gen := ta.BasicModuleManager.DefaultGenesis(ta.AppCodec())
	var bankGen banktypes.GenesisState
	ta.AppCodec().MustUnmarshalJSON(gen[banktypes.ModuleName], &bankGen)
	if len(bankGen.DenomMetadata) != 1 || bankGen.DenomMetadata[0].Base != app.BondDenom ||
		bankGen.DenomMetadata[0].Display != "aic" || bankGen.DenomMetadata[0].DenomUnits[1].Exponent != 6 {
		t.Fatalf("denom metadata %+v", bankGen.DenomMetadata)
	}
	if err := ta.BasicModuleManager.ValidateGenesis(ta.AppCodec(), ta.TxConfig(), gen); err != nil {
		t.Fatalf("default genesis does not validate: %v", err)
	}
}
