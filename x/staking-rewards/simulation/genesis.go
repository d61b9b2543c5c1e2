// Package simulation holds the staking-rewards pieces of the SDK's
// simulation: randomized genesis params, the store decoder (from the
// collections schema, in module.go) and the params proposal message.
package simulation

import (
	"math/rand"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/address"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	"github.com/cosmos/cosmos-sdk/x/simulation"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// ParamsKey names the params in the simulation's app params.
const ParamsKey = "stakingrewards_params"

// GenParams returns random valid params: the default tiers, a random
// minimum lock and random per-owner and per-block caps.
func GenParams(r *rand.Rand) types.Params {
	p := types.DefaultParams()
	p.MinLockAmount = math.NewInt(1 + r.Int63n(1_000_000))
	p.MaxLocksPerOwner = uint32(1 + r.Intn(100))
	p.MaxWithdrawalsPerBlock = uint32(1 + r.Intn(100))
	return p
}

// RandomizedGenState writes a random genesis (random params, no locks).
func RandomizedGenState(simState *module.SimulationState) {
	var params types.Params
	simState.AppParams.GetOrGenerate(ParamsKey, &params, simState.Rand, func(r *rand.Rand) { params = GenParams(r) })
	gen := types.DefaultGenesis()
	gen.Params = params
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(gen)
}

// ProposalMsgs returns the governance proposal messages of the module.
func ProposalMsgs() []simtypes.WeightedProposalMsg {
	return []simtypes.WeightedProposalMsg{
		simulation.NewWeightedProposalMsg("msg_update_params", 100,
			func(r *rand.Rand, _ sdk.Context, _ []simtypes.Account) sdk.Msg {
				return &types.MsgUpdateParams{
					Authority: sdk.AccAddress(address.Module(govtypes.ModuleName)).String(),
					Params:    GenParams(r),
				}
			}),
	}
}
