package simulation_test

import (
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/kv"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/datamarket"
	"github.com/aichain/aichain/x/datamarket/types"
)

// TestMsgFactories runs the module's simulation factories against a real app
// over many blocks: every message they produce (and do not skip) must be
// accepted, every Msg type must be produced, and the state must stay a valid
// genesis whose store entries the decoder can render.
func TestMsgFactories(t *testing.T) {
	ta := apptesting.SetupSeeded(t, 8, 5)
	k := ta.DataMarketKeeper
	am := datamarket.NewAppModule(ta.AppCodec(), k)
	gs := apptesting.RunSimFactories(t, ta, apptesting.SimFactories{
		Module: am, Factories: 12, Seed: 5, Rounds: 150, BlockEvery: 10,
		MustDeliver: []string{"MsgCommitContent", "MsgListDataset", "MsgUpdateDataset", "MsgDelistDataset", "MsgPurchaseLicense",
			"MsgRenewLicense", "MsgTransferLicense", "MsgUpdateDatasetShares", "MsgTransferDataset",
			"MsgAcceptDataset", "MsgCancelDatasetTransfer", "MsgUpdateParams"},
	}, k.ExportGenesis)
	if len(gs.Datasets) == 0 {
		t.Fatal("no dataset left to decode")
	}
	// The state imports into a fresh chain (indexes rebuilt) and exports the same.
	fresh := apptesting.Setup(t, 1)
	if err := fresh.DataMarketKeeper.InitGenesis(fresh.Ctx, gs); err != nil {
		t.Fatalf("import: %v", err)
	}
	again, err := fresh.DataMarketKeeper.ExportGenesis(fresh.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := ta.AppCodec().MustMarshalJSON(gs), ta.AppCodec().MustMarshalJSON(again); string(a) != string(b) {
		t.Fatalf("export → import → export differs:\n%s\n%s", a, b)
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
