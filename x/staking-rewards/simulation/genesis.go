// Package simulation holds the staking-rewards pieces of the SDK's
// simulation: randomized genesis params and simsx message factories for every
// Msg (MsgUpdateParams as a governance proposal); the store decoder comes from
// the collections schema (module.go).
package simulation

import (
	"math/rand"
	"time"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/types/module"

	computesim "github.com/aichain/aichain/x/compute/simulation"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// ParamsKey names the params in the simulation's app params.
const ParamsKey = "stakingrewards_params"

// GenParams returns random valid params: the default tiers or the same
// multipliers over short durations (a simulated block lasts 1.4 to 2.8 hours,
// so that locks mature within a run), a random minimum lock, and random
// per-owner and per-block caps (sometimes so small that matured unlocks wait
// in the queue for a MsgWithdraw), a random shortest voting tier, and half the time the IBC voucher that
// simulated jobs may be priced in as a rewarded denom (otherwise its
// protocol fees wait in the pool, unaccounted).
func GenParams(r *rand.Rand) types.Params {
	p := types.DefaultParams()
	if r.Intn(2) == 0 {
		unit := []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour}[r.Intn(3)]
		for i, n := range []time.Duration{1, 4, 12, 52} {
			p.LockTiers[i].Duration = n * unit
		}
	}
	// No tier, the second and up, or only the longest votes.
	p.MinVoteLockDuration = []time.Duration{0, p.LockTiers[1].Duration, p.LockTiers[3].Duration}[r.Intn(3)]
	p.MinLockAmount = math.NewInt(1 + r.Int63n(1_000_000))
	p.MaxLocksPerOwner = uint32(1 + r.Intn(100))
	p.MaxWithdrawalsPerBlock = uint32(1 + r.Intn(100))
	if r.Intn(2) == 0 {
		p.MaxWithdrawalsPerBlock = uint32(1 + r.Intn(2))
	}
	if r.Intn(2) == 0 {
		p.RewardDenoms = []string{computesim.SimIBCDenom}
	}
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
