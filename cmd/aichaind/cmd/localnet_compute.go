package cmd

import (
	"encoding/json"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Localnet compute settings: windows of a few blocks and small bonds, so that
// a newcomer can walk a job from create to settle in about a minute.
func init() {
	localnetGenesisHooks = append(localnetGenesisHooks, localnetCompute)
}

func localnetCompute(cdc codec.JSONCodec, appState map[string]json.RawMessage) {
	raw, ok := appState[computetypes.ModuleName]
	if !ok {
		return
	}
	var gs computetypes.GenesisState
	cdc.MustUnmarshalJSON(raw, &gs)
	p := &gs.Params
	denom := p.MinProviderBond.Denom
	p.MinProviderBond = sdk.NewCoin(denom, math.NewInt(10_000_000)) // 10 AIC
	p.BidDeposit = sdk.NewCoin(denom, math.NewInt(100_000))         // 0.1 AIC
	p.DisputeFee = sdk.NewCoin(p.DisputeFee.Denom, math.NewInt(100_000))
	p.MinCommitBlocks, p.MaxCommitBlocks = 2, 100
	p.MinRevealBlocks, p.MaxRevealBlocks = 2, 100
	p.MinExecBlocks, p.MaxExecBlocks = 5, 1_000
	p.JobCreationFee = sdk.NewCoin(denom, math.NewInt(10_000)) // 0.01 AIC
	p.ChallengeBlocks = 10
	p.VerificationBlocks = 10
	p.UnavailableSpanBlocks = 5 // half the window: a provider down for 5 blocks is withholding
	p.JailBlocks = 20
	p.UnbondingBlocks = 10
	appState[computetypes.ModuleName] = cdc.MustMarshalJSON(&gs)
}
