package app

import (
	"encoding/json"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// DisplayExponent is the power of ten between the display unit (AIC) and
// the base denom (uaic).
const DisplayExponent = 6

// DenomMetadata is uaic's bank metadata, in every genesis aichaind writes:
// wallets and explorers read it to show 1 AIC for 1,000,000 uaic.
func DenomMetadata() banktypes.Metadata {
	return banktypes.Metadata{
		Description: "The staking, fee and governance token of aichain.",
		DenomUnits: []*banktypes.DenomUnit{
			{Denom: BondDenom, Exponent: 0, Aliases: []string{"microaic"}},
			{Denom: "aic", Exponent: DisplayExponent, Aliases: []string{"AIC"}},
		},
		Base:    BondDenom,
		Display: "aic",
		Name:    "aichain",
		Symbol:  DisplayDenom,
	}
}

// bankBasic is x/bank for the genesis tools (init, testnet, default
// genesis): its default genesis carries uaic's denom metadata.
type bankBasic struct{ bank.AppModule }

// DefaultGenesis is x/bank's default genesis with DenomMetadata.
func (bankBasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	gen := banktypes.DefaultGenesisState()
	gen.DenomMetadata = []banktypes.Metadata{DenomMetadata()}
	return cdc.MustMarshalJSON(gen)
}
