package simulation_test

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/kv"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/modelregistry"
	"github.com/aichain/aichain/x/modelregistry/simulation"
	"github.com/aichain/aichain/x/modelregistry/types"
)

type collect struct{ factories []simsx.SimMsgFactoryX }

func (c *collect) Add(_ uint32, f simsx.SimMsgFactoryX) { c.factories = append(c.factories, f) }

// TestMsgFactories runs the module's registered simulation factories against
// a real app many times: every message they produce (that they do not skip)
// must be accepted, every Msg type must be produced, and the state must stay a
// valid genesis.
func TestMsgFactories(t *testing.T) {
	ta := apptesting.Setup(t, 6)
	k := ta.ModelRegistryKeeper
	am := modelregistry.NewAppModule(ta.AppCodec(), k)
	var reg collect
	weights := simsx.WeightSourceFn(func(_ string, d uint32) uint32 { return d })
	am.WeightedOperationsX(weights, &reg)
	am.ProposalMsgsX(weights, &reg)
	if len(reg.factories) != 7 {
		t.Fatalf("%d factories registered, want 7 (one per Msg)", len(reg.factories))
	}

	accs := make([]simtypes.Account, len(ta.Accounts))
	for i, a := range ta.Accounts {
		accs[i] = simtypes.Account{PrivKey: a.Priv, PubKey: a.Priv.PubKey(), Address: a.Address, AddressBech32: a.String()}
	}
	r := rand.New(rand.NewSource(3))
	testData := simsx.NewChainDataSource(ta.Ctx, r, ta.AccountKeeper, ta.BankKeeper, ta.AccountKeeper.AddressCodec(), accs...)

	delivered := map[string]int{}
	for round := 0; round < 150; round++ {
		for _, f := range reg.factories {
			reporter := simsx.NewBasicSimulationReporter()
			signers, msg := f.Create()(ta.Ctx, testData, reporter)
			if reporter.IsSkipped() {
				continue
			}
			name := sdkMsgName(msg)
			if name != "MsgUpdateParams" && len(signers) != 1 {
				t.Fatalf("%s: %d signers, want 1", name, len(signers))
			}
			handler := ta.MsgServiceRouter().Handler(msg)
			if handler == nil {
				t.Fatalf("no handler for %s", name)
			}
			if _, err := handler(ta.Ctx, msg); err != nil {
				t.Fatalf("round %d: %s produced by the factory was refused: %v\n%v", round, name, err, msg)
			}
			delivered[name]++
		}
	}
	t.Logf("delivered: %v", delivered)
	for _, name := range []string{"MsgRegisterModel", "MsgPublishVersion", "MsgUpdateFees", "MsgUpdateShares",
		"MsgDeprecateModel", "MsgTransferOwnership", "MsgUpdateParams"} {
		if delivered[name] == 0 {
			t.Errorf("%s never delivered (delivered: %v)", name, delivered)
		}
	}
	gs, err := k.ExportGenesis(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("state after the simulation is not a valid genesis: %v", err)
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

func sdkMsgName(msg sdk.Msg) string {
	url := sdk.MsgTypeURL(msg)
	return url[strings.LastIndex(url, ".")+1:]
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
