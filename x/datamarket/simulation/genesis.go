// Package simulation holds the datamarket's simulation: random genesis params
// and simsx message factories for every Msg.
package simulation

import (
	"math/rand"

	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/aichain/aichain/x/datamarket/types"
)

// ParamsKey is the app-params key of the module's simulated params.
const ParamsKey = "datamarket_params"

// GenParams returns random valid params.
func GenParams(r *rand.Rand) types.Params {
	return types.Params{
		MarketFeeBps:        uint32(r.Intn(2001)), // 0..20%
		MaxOffers:           uint32(1 + r.Intn(16)),
		MaxNameLen:          uint32(32 + r.Intn(256)),
		MaxDescriptionLen:   uint32(r.Intn(4096)),
		MaxUriLen:           uint32(64 + r.Intn(1024)),
		MaxTermBlocks:       uint64(100 + r.Intn(100_000)),
		MaxExpiriesPerBlock: uint32(1 + r.Intn(500)),
		// The listing factories list without a commitment (delay 0);
		// MsgCommitContent runs beside them (msg_factory.go).
		ContentCommitDelayBlocks: 0,
		ContentCommitTtlBlocks:   uint64(1 + r.Intn(1_000)),
	}
}

// RandomizedGenState sets a genesis with random params and no datasets.
func RandomizedGenState(simState *module.SimulationState) {
	var params types.Params
	simState.AppParams.GetOrGenerate(ParamsKey, &params, simState.Rand, func(r *rand.Rand) { params = GenParams(r) })
	gs := types.DefaultGenesis()
	gs.Params = params
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
