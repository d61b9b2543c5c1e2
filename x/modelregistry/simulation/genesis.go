// Package simulation holds the modelregistry's simulation: random genesis
// params and simsx message factories for every Msg.
package simulation

import (
	"math/rand"

	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/aichain/aichain/x/modelregistry/types"
)

// ParamsKey is the app-params key of the module's simulated params.
const ParamsKey = "modelregistry_params"

// GenParams returns random valid params.
func GenParams(r *rand.Rand) types.Params {
	return types.Params{
		PlatformFeeBps:   uint32(r.Intn(2001)), // 0..20%
		MaxNameLength:    uint32(16 + r.Intn(types.HardMaxNameLength-15)),
		MaxVersionLength: uint32(16 + r.Intn(types.HardMaxVersionLength-15)),
		MaxUriLength:     uint32(64 + r.Intn(1024)),
		MaxLicenseLength: uint32(16 + r.Intn(1024)),
		// The registration factories register without a commitment
		// (delay 0); MsgCommitWeights runs beside them (msg_factory.go).
		WeightsCommitDelayBlocks: 0,
		WeightsCommitTtlBlocks:   uint64(1 + r.Intn(1_000)),
	}
}

// RandomizedGenState sets a genesis with random params and no models.
func RandomizedGenState(simState *module.SimulationState) {
	var params types.Params
	simState.AppParams.GetOrGenerate(ParamsKey, &params, simState.Rand, func(r *rand.Rand) { params = GenParams(r) })
	gs := types.DefaultGenesis()
	gs.Params = params
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gs)
}
