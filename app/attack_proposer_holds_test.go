package app_test

import (
	"testing"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/app/ve"
	vetypes "github.com/aichain/aichain/app/ve/types"
	"github.com/aichain/aichain/testutil/txforge"
)

// decodeCounter is a TxConfig whose decoder counts its calls.
type decodeCounter struct {
	client.TxConfig
	calls *int
}

func (c decodeCounter) TxDecoder() sdk.TxDecoder {
	decode := c.TxConfig.TxDecoder()
	return func(bz []byte) (sdk.Tx, error) {
		*c.calls++
		return decode(bz)
	}
}

// typeURLFirstTx is msgs signed by from at seq, each message's Any carrying
// MsgInjectVerdicts' type URL before its own: the decoders keep a field's
// last occurrence, so it is the same transaction to them, and it is signed
// over these very body bytes (SIGN_MODE_DIRECT).
func typeURLFirstTx(t *testing.T, ta *apptesting.TestApp, from apptesting.Account, seq uint64, msgs ...sdk.Msg) []byte {
	t.Helper()
	var raw txtypes.TxRaw
	if err := raw.Unmarshal(ta.SignTx(from, seq, 200_000, msgs...)); err != nil {
		t.Fatal(err)
	}
	body, err := txforge.TypeURLFirst(raw.BodyBytes, vetypes.TypeURL)
	if err != nil {
		t.Fatal(err)
	}
	acc := ta.AccountKeeper.GetAccount(ta.Ctx, from.Address)
	doc := txtypes.SignDoc{BodyBytes: body, AuthInfoBytes: raw.AuthInfoBytes, ChainId: apptesting.ChainID, AccountNumber: acc.GetAccountNumber()}
	signBytes, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := from.Priv.Sign(signBytes)
	if err != nil {
		t.Fatal(err)
	}
	raw.BodyBytes, raw.Signatures = body, [][]byte{sig}
	out, err := raw.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAttackUserRepeatsTypeURLToBeDecodedInProposals: proposals ask of
// every transaction whether it holds MsgInjectVerdicts (ve.Injections.Holds),
// decoding only those whose messages' type URLs name it. A user's bank send
// whose Any carries MsgInjectVerdicts' type URL first and MsgSend's after it
// is an ordinary send to the chain (CheckTx admits it, a block executes it,
// 1,000 uaic move), yet Holds decoded it: in the proposer's PrepareProposal
// twice and every validator's ProcessProposal once, for every such
// transaction (ve's TestAttackRepeatedTypeURLDefeatsTheHoldsPrefilter).
func TestAttackUserRepeatsTypeURLToBeDecodedInProposals(t *testing.T) {
	ta := apptesting.Setup(t, 2)
	from, to := ta.Accounts[0], ta.Accounts[1]
	tx := typeURLFirstTx(t, ta, from, 0, oneSend(ta))
	if err := checkTx(ta, tx); err != nil {
		t.Fatalf("CheckTx refused the send: %v (the test would prove nothing)", err)
	}
	fromBefore, toBefore := ta.Balance(from.Address, app.BondDenom), ta.Balance(to.Address, app.BondDenom)
	if res := ta.NextBlockWithTxs([][]byte{tx}); len(res) != 1 || res[0].Code != 0 {
		t.Fatalf("the block did not execute the send: %v", res)
	}
	if d := fromBefore.Sub(ta.Balance(from.Address, app.BondDenom)); !d.Equal(math.NewInt(1_000)) {
		t.Fatalf("the sender paid %s, want 1000", d)
	}
	if d := ta.Balance(to.Address, app.BondDenom).Sub(toBefore); !d.Equal(math.NewInt(1_000)) {
		t.Fatalf("the recipient got %s, want 1000", d)
	}
	var calls int
	inj := ve.Injections{TxConfig: decodeCounter{TxConfig: ta.TxConfig(), calls: &calls}}
	if held := inj.Holds(tx); held || calls != 0 {
		t.Fatalf("Holds of the send: %v after %d decodes, want false after none (as for any other send)", held, calls)
	}
}
