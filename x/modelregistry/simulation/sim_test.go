package simulation_test

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/types/kv"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/modelregistry"
	"github.com/aichain/aichain/x/modelregistry/simulation"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestMsgFactories runs the module's registered simulation factories against
// a real app many times: every message they produce (that they do not skip)
// must be accepted, every Msg type must be produced, and the state must stay a
// valid genesis.
func TestMsgFactories(t *testing.T) {
	ta := apptesting.SetupSeeded(t, 6, 3)
	k := ta.ModelRegistryKeeper
	gs := apptesting.RunSimFactories(t, ta, apptesting.SimFactories{
		Module: modelregistry.NewAppModule(ta.AppCodec(), k), Factories: 11, Seed: 3, Rounds: 150,
		MustDeliver: []string{"MsgCommitWeights", "MsgRegisterModel", "MsgPublishVersion", "MsgUpdateFees", "MsgUpdateShares", "MsgUpdateUri",
			"MsgDeprecateModel", "MsgTransferOwnership", "MsgAcceptOwnership", "MsgCancelOwnershipTransfer",
			"MsgUpdateParams"},
	}, k.ExportGenesis)
	if len(gs.Models) == 0 {
		t.Fatal("no model left to decode")
	}

	// The store decoder renders a model entry.
	m := gs.Models[0]
	bz, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	key, err := collections.EncodeKeyWithPrefix(types.ModelsKey, collections.Uint64Key, m.Id)
	if err != nil {
		t.Fatal(err)
	}
	decode := simtypes.NewStoreDecoderFuncFromCollectionsSchema(k.Schema)
	if out := decode(kv.Pair{Key: key, Value: bz}, kv.Pair{Key: key, Value: bz}); !strings.Contains(out, m.Name) {
		t.Fatalf("decoded model entry %q does not show the model", out)
	}
}

// TestRandomizedGenState: the random genesis is valid.
func TestRandomizedGenState(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	for seed := int64(0); seed < 20; seed++ {
		simState := &module.SimulationState{
			AppParams: make(simtypes.AppParams),
			Cdc:       ta.AppCodec(),
			Rand:      rand.New(rand.NewSource(seed)),
			GenState:  map[string]json.RawMessage{},
		}
		simulation.RandomizedGenState(simState)
		var gs types.GenesisState
		if err := ta.AppCodec().UnmarshalJSON(simState.GenState[types.ModuleName], &gs); err != nil {
			t.Fatal(err)
		}
		if err := gs.Validate(); err != nil {
			t.Fatalf("seed %d: random genesis invalid: %v", seed, err)
		}
	}
}
