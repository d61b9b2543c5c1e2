package ve

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txsigning "github.com/cosmos/cosmos-sdk/types/tx/signing"

	vetypes "github.com/aichain/aichain/app/ve/types"
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

// TestAttackInjectionBundledIsFound: a hostile proposer hides verdicts out of
// place, as a later message of a transaction (or one carrying the message
// twice), to have them counted past ProcessProposal's check; the byte search
// must still single it out, so the check decodes it and finds it.
func TestAttackInjectionBundledIsFound(t *testing.T) {
	inj := testInjections(t)
	forged := &vetypes.MsgInjectVerdicts{Height: 3, ExtendedCommitInfo: []byte{0x08, 0x01}}
	for _, tx := range [][]byte{
		injectionTx(t, inj, forged, forged),
		injectionTx(t, inj, &vetypes.MsgInjectVerdicts{Height: 3}, forged),
	} {
		if !inj.Holds(tx) {
			t.Fatalf("%x: a transaction bundling MsgInjectVerdicts is not found", tx)
		}
	}
}
