package simulation_test

import (
	"encoding/json"
	"math/rand"
	"testing"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/aichain/aichain/x/staking-rewards/simulation"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

func TestRandomizedGenStateIsValid(t *testing.T) {
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	for seed := int64(0); seed < 20; seed++ {
		simState := &module.SimulationState{
			AppParams: make(simtypes.AppParams),
			Cdc:       cdc,
			Rand:      rand.New(rand.NewSource(seed)),
			GenState:  map[string]json.RawMessage{},
		}
		simulation.RandomizedGenState(simState)
		var gen types.GenesisState
		if err := cdc.UnmarshalJSON(simState.GenState[types.ModuleName], &gen); err != nil {
			t.Fatal(err)
		}
		if err := gen.Validate(); err != nil {
			t.Fatalf("seed %d: invalid random genesis: %v", seed, err)
		}
	}
}

// TestGenParamsValid checks that random params always validate and that both
// tier sets, small withdrawal caps and both reward denom lists are drawn.
func TestGenParamsValid(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	short, smallCap, voucher := 0, 0, 0
	for i := 0; i < 1000; i++ {
		p := simulation.GenParams(r)
		if err := p.Validate(); err != nil {
			t.Fatalf("draw %d: %v\n%v", i, err, p)
		}
		if p.LockTiers[0].Duration != types.DefaultParams().LockTiers[0].Duration {
			short++
		}
		if p.MaxWithdrawalsPerBlock <= 2 {
			smallCap++
		}
		if len(p.RewardDenoms) > 0 {
			voucher++
		}
	}
	if short == 0 || short == 1000 || smallCap == 0 || voucher == 0 || voucher == 1000 {
		t.Fatalf("short tiers in %d draws, small caps in %d, a rewarded voucher in %d of 1000", short, smallCap, voucher)
	}
}
