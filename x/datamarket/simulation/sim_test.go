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
	ta := apptesting.Setup(t, 8)
	k := ta.DataMarketKeeper
	am := datamarket.NewAppModule(ta.AppCodec(), k)
	gs := apptesting.RunSimFactories(t, ta, apptesting.SimFactories{
		Module: am, Factories: 7, Seed: 5, Rounds: 120, BlockEvery: 10,
		MustDeliver: []string{"MsgListDataset", "MsgUpdateDataset", "MsgDelistDataset", "MsgPurchaseLicense",
			"MsgRenewLicense", "MsgTransferLicense", "MsgUpdateParams"},
	}, k.ExportGenesis)
	if len(gs.Datasets) == 0 {
		t.Fatal("no dataset left to decode")
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
