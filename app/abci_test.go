package app_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/app/ve"
)

// TestInjectedCommitCannotEnterTheMempool: the special transaction 0 that
// carries an extended commit is refused by CheckTx, so no user can send one.
func TestInjectedCommitCannotEnterTheMempool(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	tx, err := ve.EncodeInjection(abci.ExtendedCommitInfo{Round: 0, Votes: []abci.ExtendedVoteInfo{}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ta.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code == 0 {
		t.Fatal("CheckTx accepted an injected extended commit")
	}
}
