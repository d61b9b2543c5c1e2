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
	msgs := simulation.ProposalMsgs()
	if len(msgs) != 1 {
		t.Fatalf("%d proposal msgs", len(msgs))
	}
	m, ok := msgs[0].MsgSimulatorFn()(rand.New(rand.NewSource(1)), sdkCtxZero(), nil).(*types.MsgUpdateParams)
	if !ok || m.Params.Validate() != nil {
		t.Fatalf("proposal msg %v", m)
	}
}
