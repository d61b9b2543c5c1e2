package app_test

import (
	"bytes"
	"context"
	"math/rand"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cosmos/cosmos-sdk/client"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// cometViaCheckTx stands in for the CometBFT node behind the tx service:
// a sync broadcast runs the app's CheckTx, as the node's mempool does.
// Every other method is absent.
type cometViaCheckTx struct {
	client.CometRPC
	ta *apptesting.TestApp
}

func (c cometViaCheckTx) BroadcastTxSync(_ context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error) {
	res, err := c.ta.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultBroadcastTx{Code: res.Code, Log: res.Log, Codespace: res.Codespace, Hash: tx.Hash()}, nil
}

// A sender broadcasts through the node's own gRPC tx service (which
// verifies signatures before CheckTx, into the memo CheckTx and the block
// consult) a transaction, then a forgery of its next one, then the genuine
// next one. The forgery is refused at the broadcast and in a block; the
// block's results, gas, balances (to the coin) and app hash are those of a
// node that never saw any of them.
func TestAttackForgedBroadcastThroughTxService(t *testing.T) {
	node := apptesting.Setup(t, 3)
	unseen := node.Twin(t)
	cfg := node.TxConfig()
	send := txService(t, node)
	from, to := node.Accounts[0], node.Accounts[1]
	acc := node.AccountKeeper.GetAccount(node.Ctx, from.Address)
	rng := rand.New(rand.NewSource(3))
	sign := func(seq uint64, amount int64) []byte {
		t.Helper()
		msg := banktypes.NewMsgSend(from.Address, to.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, amount)))
		tx, err := simtestutil.GenSignedMockTx(rng, cfg, []sdk.Msg{msg}, sdk.Coins{}, 200_000, apptesting.ChainID,
			[]uint64{acc.GetAccountNumber()}, []uint64{seq}, from.Priv)
		if err != nil {
			t.Fatal(err)
		}
		bz, err := cfg.TxEncoder()(tx)
		if err != nil {
			t.Fatal(err)
		}
		return bz
	}
	first, next := sign(0, 1_000), sign(1, 2_000)
	forged := sign(1, 900_000)
	forged[len(forged)-1] ^= 1 // the encoding ends with the signature
	if code := send(first); code != 0 {
		t.Fatalf("first broadcast: code %d", code)
	}
	if code := send(forged); code == 0 {
		t.Fatal("the forged broadcast was accepted")
	}
	if code := send(next); code != 0 {
		t.Fatalf("genuine next broadcast: code %d", code)
	}
	block := [][]byte{first, forged, next}
	a, b := node.NextBlockWithTxs(block), unseen.NextBlockWithTxs(block)
	for i := range block {
		if a[i].Code != b[i].Code || a[i].GasUsed != b[i].GasUsed {
			t.Errorf("tx %d: code %d gas %d on the node, code %d gas %d on the one that never saw it", i, a[i].Code, a[i].GasUsed, b[i].Code, b[i].GasUsed)
		}
	}
	if a[0].Code != 0 || a[1].Code == 0 || a[2].Code != 0 {
		t.Fatalf("codes %d %d %d: want 0, refused, 0", a[0].Code, a[1].Code, a[2].Code)
	}
	if got, want := node.Balance(from.Address, app.BondDenom), apptesting.DefaultBalance.SubRaw(3_000); !got.Equal(want) {
		t.Errorf("sender holds %s, want %s", got, want)
	}
	if got, want := node.Balance(to.Address, app.BondDenom), apptesting.DefaultBalance.AddRaw(3_000); !got.Equal(want) {
		t.Errorf("recipient holds %s, want %s", got, want)
	}
	if x, y := node.LastCommitID().Hash, unseen.LastCommitID().Hash; !bytes.Equal(x, y) {
		t.Fatalf("app hashes differ: %X and %X", x, y)
	}
}

// txService registers the node's gRPC tx service (its broadcasts run the
// app's CheckTx, cometViaCheckTx) and returns a sync broadcast through it,
// answering the CheckTx code.
func txService(t *testing.T, node *apptesting.TestApp) func(tx []byte) uint32 {
	t.Helper()
	node.RegisterTxService(client.Context{}.WithTxConfig(node.TxConfig()).WithClient(cometViaCheckTx{ta: node}))
	broadcast := node.GRPCQueryRouter().Route("/cosmos.tx.v1beta1.Service/BroadcastTx")
	if broadcast == nil {
		t.Fatal("the tx service is not registered")
	}
	return func(tx []byte) uint32 {
		t.Helper()
		req, err := (&txtypes.BroadcastTxRequest{TxBytes: tx, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		res, err := broadcast(node.Ctx, &abci.RequestQuery{Data: req})
		if err != nil {
			t.Fatal(err)
		}
		var out txtypes.BroadcastTxResponse
		if err := out.Unmarshal(res.Value); err != nil {
			t.Fatal(err)
		}
		return out.TxResponse.Code
	}
}
