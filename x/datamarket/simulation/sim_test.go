package simulation_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/kv"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/datamarket"
	"github.com/aichain/aichain/x/datamarket/types"
)

type collect struct{ factories []simsx.SimMsgFactoryX }

func (c *collect) Add(_ uint32, f simsx.SimMsgFactoryX) { c.factories = append(c.factories, f) }

// TestMsgFactories runs the module's simulation factories against a real app
// over many blocks: every message they produce (and do not skip) must be
// accepted, every Msg type must be produced, and the state must stay a valid
// genesis whose store entries the decoder can render.
func TestMsgFactories(t *testing.T) {
	ta := apptesting.Setup(t, 8)
	k := ta.DataMarketKeeper
	am := datamarket.NewAppModule(ta.AppCodec(), k)
	var reg collect
	weights := simsx.WeightSourceFn(func(_ string, d uint32) uint32 { return d })
	am.WeightedOperationsX(weights, &reg)
	am.ProposalMsgsX(weights, &reg)
	if len(reg.factories) != 7 {
		t.Fatalf("%d factories, want 7 (one per Msg)", len(reg.factories))
	}
	accs := make([]simtypes.Account, len(ta.Accounts))
	for i, a := range ta.Accounts {
		accs[i] = simtypes.Account{PrivKey: a.Priv, PubKey: a.Priv.PubKey(), Address: a.Address, AddressBech32: a.String()}
	}
	r := rand.New(rand.NewSource(5))
	delivered := map[string]int{}
	for round := 0; round < 120; round++ {
		testData := simsx.NewChainDataSource(ta.Ctx, r, ta.AccountKeeper, ta.BankKeeper, ta.AccountKeeper.AddressCodec(), accs...)
		for _, f := range reg.factories {
			reporter := simsx.NewBasicSimulationReporter()
			signers, msg := f.Create()(ta.Ctx, testData, reporter)
			if reporter.IsSkipped() {
				continue
			}
			name := sdk.MsgTypeURL(msg)
			if !strings.HasSuffix(name, "MsgUpdateParams") && len(signers) != 1 {
				t.Fatalf("%s: %d signers", name, len(signers))
			}
			if _, err := ta.MsgServiceRouter().Handler(msg)(ta.Ctx, msg); err != nil {
				t.Fatalf("round %d: %s from the factory refused: %v\n%v", round, name, err, msg)
			}
			delivered[name[strings.LastIndex(name, ".")+1:]]++
		}
		if round%10 == 9 {
			ta.NextBlock()
		}
	}
	for _, name := range []string{"MsgListDataset", "MsgUpdateDataset", "MsgDelistDataset", "MsgPurchaseLicense",
		"MsgRenewLicense", "MsgTransferLicense", "MsgUpdateParams"} {
		if delivered[name] == 0 {
			t.Errorf("%s never delivered (%v)", name, delivered)
		}
	}
	gs, err := k.ExportGenesis(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("state after the simulation is not a valid genesis: %v", err)
	}

	// The store decoder renders two dataset entries.
	sdr := simtypes.StoreDecoderRegistry{}
	am.RegisterStoreDecoder(sdr)
	key := append(append([]byte{}, types.DatasetsKey...), 0, 0, 0, 0, 0, 0, 0, 1)
	bz, err := gs.Datasets[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out := sdr[types.StoreKey](kv.Pair{Key: key, Value: bz}, kv.Pair{Key: key, Value: bz})
	if !strings.Contains(out, gs.Datasets[0].Sha256) {
		t.Fatalf("decoder output lacks the dataset: %s", out)
	}
}
