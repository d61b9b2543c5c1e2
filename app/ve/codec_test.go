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

// memoTx is a signed transaction of no message with the given memo.
func memoTx(tb testing.TB, cfg client.TxConfig, memo string) []byte {
	tb.Helper()
	b := cfg.NewTxBuilder()
	b.SetMemo(memo)
	if err := b.SetSignatures(txsigning.SignatureV2{
		PubKey: secp256k1.GenPrivKey().PubKey(),
		Data:   &txsigning.SingleSignatureData{SignMode: txsigning.SignMode_SIGN_MODE_DIRECT, Signature: make([]byte, 64)},
	}); err != nil {
		tb.Fatal(err)
	}
	bz, err := cfg.TxEncoder()(b.GetTx())
	if err != nil {
		tb.Fatal(err)
	}
	return bz
}

// FuzzHoldsAgreesWithTheDecoder: Holds, which decodes only the
// transactions whose messages' type URLs (read off the wire) name
// MsgInjectVerdicts, says what the full decoder says, whatever the bytes:
// a hostile proposer cannot hide an injection from it.
func FuzzHoldsAgreesWithTheDecoder(f *testing.F) {
	inj := bankInjections(f)
	forged := &vetypes.MsgInjectVerdicts{Height: 3, ExtendedCommitInfo: []byte{0x08, 0x01}}
	injected, err := inj.Encode(4, abci.ExtendedCommitInfo{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(injected)
	f.Add(injected[:len(injected)-3])
	f.Add(injectionTx(f, inj, &vetypes.MsgInjectVerdicts{Height: 3}, forged))
	f.Add(memoTx(f, inj.TxConfig, "gm "+vetypes.TypeURL))
	f.Add(append([]byte{0x0a, 0xff}, typeURL...))
	f.Add(withTypeURLBefore(f, injected, []byte("/cosmos.bank.v1beta1.MsgSend")))
	f.Add(withTypeURLBefore(f, bankSend(f, inj), typeURL))
	f.Add(withTypeURLBefore(f, injectionTx(f, inj, forged), []byte("/aichain.ve.v1.Other")))
	f.Fuzz(func(t *testing.T, tx []byte) {
		want := false
		if decoded, err := inj.TxConfig.TxDecoder()(tx); err == nil {
			want = HoldsInjection(decoded)
		}
		if got := inj.Holds(tx); got != want {
			t.Fatalf("Holds(%x) = %v, the decoder says %v", tx, got, want)
		}
	})
}

// BenchmarkHolds: what Holds costs a proposal check per transaction: an
// ordinary signed one (a byte search), one with the type URL in its memo or
// first in its message's Any (a walk of the type URLs), and the injection
// (a walk and a decode).
func BenchmarkHolds(b *testing.B) {
	inj := bankInjections(b)
	injected, err := inj.Encode(4, abci.ExtendedCommitInfo{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tx   []byte
		want bool
	}{
		{"ordinary", memoTx(b, inj.TxConfig, "gm"), false},
		{"type-url-in-memo", memoTx(b, inj.TxConfig, "gm "+vetypes.TypeURL), false},
		{"type-url-first-in-any", withTypeURLBefore(b, bankSend(b, inj), typeURL), false},
		{"injection", injected, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if inj.Holds(c.tx) != c.want {
					b.Fatal("wrong answer")
				}
			}
		})
	}
}
