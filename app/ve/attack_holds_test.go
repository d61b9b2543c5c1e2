package ve

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/log"

	"github.com/cosmos/cosmos-sdk/codec/address"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	txsigning "github.com/cosmos/cosmos-sdk/types/tx/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aichain/aichain/testutil/txforge"
)

// bankInjections is testInjections with x/bank's messages and the public
// key types registered too, so that a signed bank send decodes.
func bankInjections(t testing.TB) Injections {
	return testInjections(t, banktypes.RegisterInterfaces, cryptocodec.RegisterInterfaces)
}

// withTypeURLBefore rewrites a transaction so that each of its messages'
// Any carries url first and its own type URL after it: the protobuf
// decoders keep the last occurrence of a field, so the transaction is the
// same to every decoder (and to a signature over its body bytes, which a
// signer makes over these very bytes).
func withTypeURLBefore(t testing.TB, tx, url []byte) []byte {
	t.Helper()
	var raw txtypes.TxRaw
	if err := raw.Unmarshal(tx); err != nil {
		t.Fatal(err)
	}
	body, err := txforge.TypeURLFirst(raw.BodyBytes, string(url))
	if err != nil {
		t.Fatal(err)
	}
	raw.BodyBytes = body
	out, err := raw.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bankSend is a signed transaction (its signature not checked here) of one
// bank send, its key fresh each call.
func bankSend(t testing.TB, inj Injections) []byte {
	t.Helper()
	from, err := address.NewBech32Codec("aic").BytesToString(make([]byte, 20))
	if err != nil {
		t.Fatal(err)
	}
	b := inj.TxConfig.NewTxBuilder()
	if err := b.SetMsgs(&banktypes.MsgSend{FromAddress: from, ToAddress: from, Amount: sdk.NewCoins(sdk.NewInt64Coin("uaic", 1))}); err != nil {
		t.Fatal(err)
	}
	b.SetGasLimit(100000)
	if err := b.SetSignatures(txsigning.SignatureV2{
		PubKey: secp256k1.GenPrivKey().PubKey(),
		Data:   &txsigning.SingleSignatureData{SignMode: txsigning.SignMode_SIGN_MODE_DIRECT, Signature: make([]byte, 64)},
	}); err != nil {
		t.Fatal(err)
	}
	bz, err := inj.TxConfig.TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// TestAttackRepeatedTypeURLDefeatsTheHoldsPrefilter: Holds decodes only a
// transaction whose messages' type URLs, read off the wire, name
// MsgInjectVerdicts (TestAttackVETypeURLInMemoDefeatsTheHoldsPrefilter).
// But a message's Any may carry its type_url field twice, and every
// protobuf decoder keeps the last: a user's bank send whose Any carries
// MsgInjectVerdicts' type URL first and MsgSend's after it is an ordinary
// send that CheckTx admits (TestAttackUserRepeatsTypeURLToBeDecodedInProposals in
// app/), yet the walk, reading every occurrence, finds the type URL and
// hands it to the decoder in every proposal check, as the memo did.
func TestAttackRepeatedTypeURLDefeatsTheHoldsPrefilter(t *testing.T) {
	const n = 2000
	base := bankInjections(t)
	var calls int
	inj := Injections{TxConfig: countingDecoder{TxConfig: base.TxConfig, calls: &calls}}
	txs := make([][]byte, n)
	for i := range txs {
		txs[i] = withTypeURLBefore(t, bankSend(t, base), typeURL)
	}
	decoded, err := base.TxConfig.TxDecoder()(txs[0])
	if err != nil {
		t.Fatalf("the rewritten send does not decode (%v): the test would prove nothing", err)
	}
	if msgs := decoded.GetMsgs(); len(msgs) != 1 || sdk.MsgTypeURL(msgs[0]) != sdk.MsgTypeURL(&banktypes.MsgSend{}) {
		t.Fatalf("the rewritten transaction decodes as %v, want one MsgSend", msgs)
	}

	nw := newNetwork(4)
	const h = 5
	last := nw.commit(t, h, [][]byte{nil, nil, nil, nil}, []bool{true, true, true, true})
	ctx := veCtx(h, last)
	ph := NewProposalHandler(log.NewNopLogger(), nw.store, inj, (&recorder{}).prepare, (&recorder{}).process)
	prep, err := ph.PrepareProposal()(ctx, &abci.RequestPrepareProposal{Height: h, MaxTxBytes: 1 << 24, LocalLastCommit: last, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Txs) != n+1 {
		t.Fatalf("proposal of %d txs, want the injection and the %d sends", len(prep.Txs), n)
	}
	prepCalls := calls
	calls = 0
	proc, err := ph.ProcessProposal()(ctx, &abci.RequestProcessProposal{Height: h, Txs: prep.Txs})
	if err != nil || proc.Status != abci.ResponseProcessProposal_ACCEPT {
		t.Fatalf("ProcessProposal: %v %v", proc, err)
	}
	// The injection itself is decoded once per check; the sends should cost
	// a walk of their type URLs, as ordinary ones do.
	if procCalls := calls; prepCalls > 2 || procCalls > 2 {
		t.Fatalf("%d bank sends with MsgInjectVerdicts' type URL first in their Any: PrepareProposal decoded %d "+
			"transactions, ProcessProposal %d, on every validator; without it they decode none", n, prepCalls, procCalls)
	}
}

// TestRepeatedTypeURLKeepsTheLast: Holds reads a message's type URL where
// the decoder does, its last occurrence, both ways: an injection whose Any
// names another message first (a hostile proposer hiding it past index 0)
// is found, and a send whose Any names MsgInjectVerdicts first is not.
func TestRepeatedTypeURLKeepsTheLast(t *testing.T) {
	inj := bankInjections(t)
	injected, err := inj.Encode(4, abci.ExtendedCommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	hidden := withTypeURLBefore(t, injected, []byte(sdk.MsgTypeURL(&banktypes.MsgSend{})))
	if tx, err := inj.TxConfig.TxDecoder()(hidden); err != nil || !HoldsInjection(tx) {
		t.Fatalf("the hidden injection: decoded %v, %v; the test would prove nothing", tx, err)
	}
	if !inj.Holds(hidden) {
		t.Fatal("an injection whose Any names MsgSend before MsgInjectVerdicts is not found")
	}
	if inj.Holds(withTypeURLBefore(t, bankSend(t, inj), typeURL)) {
		t.Fatal("a send whose Any names MsgInjectVerdicts before MsgSend holds an injection")
	}
}
