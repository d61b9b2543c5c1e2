package ve

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txsigning "github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// countingDecoder is a TxConfig whose decoder counts its calls.
type countingDecoder struct {
	client.TxConfig
	calls *int
}

func (c countingDecoder) TxDecoder() sdk.TxDecoder {
	decode := c.TxConfig.TxDecoder()
	return func(bz []byte) (sdk.Tx, error) {
		*c.calls++
		return decode(bz)
	}
}

// TestHoldsDecodesOnlyCandidates: Holds decodes only a transaction whose
// bytes hold MsgInjectVerdicts' type URL. Proposals ask it of every
// transaction (PrepareProposal twice, every validator's ProcessProposal
// once), so a transaction of any other message (a signed one: its bytes hold
// its public key's type URL) must cost a byte search, not a decode. With the
// type URL read as "/" before the type registered, every transaction was
// decoded: 2,000 bank sends took ~30 ms of each proposal's check.
func TestHoldsDecodesOnlyCandidates(t *testing.T) {
	base := testInjections(t)
	var calls int
	inj := Injections{TxConfig: countingDecoder{TxConfig: base.TxConfig, calls: &calls}}

	b := base.TxConfig.NewTxBuilder()
	if err := b.SetSignatures(txsigning.SignatureV2{
		PubKey: secp256k1.GenPrivKey().PubKey(),
		Data:   &txsigning.SingleSignatureData{SignMode: txsigning.SignMode_SIGN_MODE_DIRECT, Signature: make([]byte, 64)},
	}); err != nil {
		t.Fatal(err)
	}
	signed, err := base.TxConfig.TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range [][]byte{signed, []byte("/cosmos.bank.v1beta1.MsgSend"), {}} {
		if inj.Holds(tx) {
			t.Fatalf("%x holds an injection", tx)
		}
	}
	if calls != 0 {
		t.Fatalf("%d decodes of transactions without the type URL", calls)
	}

	injected, err := base.Encode(4, abci.ExtendedCommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if !inj.Holds(injected) || calls != 1 {
		t.Fatalf("the injection: held %v after %d decodes, want true after 1", inj.Holds(injected), calls)
	}
}
