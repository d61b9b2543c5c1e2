package app_test

import (
	"bytes"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
)

// Two nodes of one chain finalize the same block. One checked its
// transactions in CheckTx first, so their signatures are in its memo; the
// other never saw them and verifies every signature in the block. Their
// results, gas, balances and app hashes must be the same, and a
// transaction whose signature was forged from a checked one is refused by
// both.
func TestSigMemoBlockSameOnEveryNode(t *testing.T) {
	checked := apptesting.Setup(t, 3)
	unseen := checked.Twin(t)
	sign := func(from, to int, seq uint64, amount int64) []byte {
		t.Helper()
		return checked.SignTx(checked.Accounts[from], seq, 200_000, banktypes.NewMsgSend(checked.Accounts[from].Address,
			checked.Accounts[to].Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, amount))))
	}
	first, second, other := sign(0, 1, 0, 1_000), sign(0, 2, 1, 2_000), sign(1, 2, 0, 3_000)
	forged := sign(2, 0, 0, 4_000)
	if err := checkTx(checked, forged); err != nil {
		t.Fatal(err)
	}
	forged[len(forged)-1] ^= 1 // the encoding ends with the signature
	for _, tx := range [][]byte{first, second, other} {
		if err := checkTx(checked, tx); err != nil {
			t.Fatal(err)
		}
	}
	block := [][]byte{first, forged, second, other}
	a, b := checked.NextBlockWithTxs(block), unseen.NextBlockWithTxs(block)
	for i := range block {
		if a[i].Code != b[i].Code || a[i].GasUsed != b[i].GasUsed {
			t.Errorf("tx %d: code %d gas %d on the node that checked it, code %d gas %d on the other", i, a[i].Code, a[i].GasUsed, b[i].Code, b[i].GasUsed)
		}
	}
	if a[1].Code == 0 {
		t.Fatal("the forged tx was accepted")
	}
	if a[0].Code != 0 || a[2].Code != 0 || a[3].Code != 0 {
		t.Fatalf("valid txs refused: %v / %v / %v", a[0].Log, a[2].Log, a[3].Log)
	}
	for i, acc := range checked.Accounts {
		if x, y := checked.Balance(acc.Address, app.BondDenom), unseen.Balance(acc.Address, app.BondDenom); !x.Equal(y) {
			t.Errorf("account %d: %s on one node, %s on the other", i, x, y)
		}
	}
	if want := apptesting.DefaultBalance.SubRaw(3_000); !checked.Balance(checked.Accounts[0].Address, app.BondDenom).Equal(want) {
		t.Errorf("sender paid %s, want %s", checked.Balance(checked.Accounts[0].Address, app.BondDenom), want)
	}
	if x, y := checked.LastCommitID().Hash, unseen.LastCommitID().Hash; !bytes.Equal(x, y) {
		t.Fatalf("app hashes differ: %X and %X", x, y)
	}
}

func checkTx(ta *apptesting.TestApp, tx []byte) error {
	res, err := ta.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
	if err != nil {
		return err
	}
	if res.Code != 0 {
		return errCheck(res.Log)
	}
	return nil
}

type errCheck string

func (e errCheck) Error() string { return "CheckTx refused: " + string(e) }
