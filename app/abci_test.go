package app_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/app/ve"
	vetypes "github.com/aichain/aichain/app/ve/types"
)

// TestInjectedCommitCannotEnterTheMempool: the special transaction 0 that
// carries an extended commit is refused by CheckTx, so no user can send one.
func TestInjectedCommitCannotEnterTheMempool(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	inj := ve.Injections{TxConfig: ta.TxConfig()}
	tx, err := inj.Encode(1, abci.ExtendedCommitInfo{Round: 0, Votes: []abci.ExtendedVoteInfo{}})
	if err != nil {
		t.Fatal(err)
	}
	// Mixed with a message that an account signs, it is refused as well.
	b := ta.TxConfig().NewTxBuilder()
	if err := b.SetMsgs(&vetypes.MsgInjectVerdicts{Height: 1}, &banktypes.MsgSend{
		FromAddress: ta.Accounts[0].String(), ToAddress: ta.Accounts[0].String(), Amount: sdk.NewCoins(sdk.NewInt64Coin("uaic", 1)),
	}); err != nil {
		t.Fatal(err)
	}
	mixed, err := ta.TxConfig().TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	for name, bz := range map[string][]byte{"alone": tx, "with a send": mixed} {
		for _, typ := range []abci.CheckTxType{abci.CheckTxType_New, abci.CheckTxType_Recheck} {
			res, err := ta.CheckTx(&abci.RequestCheckTx{Tx: bz, Type: typ})
			if err != nil {
				t.Fatal(err)
			}
			if res.Code == 0 {
				t.Fatalf("CheckTx (%v) accepted an injected extended commit %s", typ, name)
			}
		}
	}
	// Nor can it be simulated.
	if _, _, err := ta.Simulate(tx); err == nil {
		t.Fatal("an injected extended commit was simulated")
	}
}
