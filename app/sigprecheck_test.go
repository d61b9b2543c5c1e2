package app

import (
	"errors"
	"fmt"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// bytes is tx as broadcast.
func (f *memoFixture) bytes(tx sdk.Tx) []byte {
	f.t.Helper()
	bz, err := f.enc.TxConfig.TxEncoder()(tx)
	if err != nil {
		f.t.Fatal(err)
	}
	return bz
}

// memoKeys are the memo keys of tx's signatures as CheckTx builds them,
// whatever the sequence of the signer's account.
func (f *memoFixture) memoKeys(tx sdk.Tx) [][32]byte {
	f.t.Helper()
	parts, ok := signedParts(tx)
	if !ok {
		f.t.Fatal("no memo keys for the fixture's tx")
	}
	keys := make([][32]byte, len(parts.sigs))
	for i := range keys {
		acc := f.ak.GetAccount(f.ctx, parts.signers[i])
		k, err := f.d.key(f.ctx, parts, i, signerState{accNum: acc.GetAccountNumber(), pk: acc.GetPubKey()})
		if err != nil {
			f.t.Fatal(err)
		}
		keys[i] = k
	}
	return keys
}

// inMemo reports whether every signature of tx is in the memo, with the
// keys CheckTx builds.
func (f *memoFixture) inMemo(tx sdk.Tx) bool {
	f.t.Helper()
	for _, k := range f.memoKeys(tx) {
		if !f.d.memo.has(k) {
			return false
		}
	}
	return true
}

// checkTxMode runs the fixture in CheckTx, where the decorator learns the
// signers it passes, and passes the signer's transaction at sequence 3.
func (f *memoFixture) checkTxMode() {
	f.t.Helper()
	f.ctx = f.ctx.WithIsCheckTx(true)
	if ok, err := f.check(f.tx("memo-1", 3, 1)); !ok || err != nil {
		f.t.Fatalf("CheckTx of sequence 3: %v %v", ok, err)
	}
	f.passed(4)
}

// passed sets the signer's sequence to seq, as the rest of the ante chain
// does after the signature check passes.
func (f *memoFixture) passed(seq uint64) {
	if err := f.ak.accs[string(f.addr)].SetSequence(seq); err != nil {
		f.t.Fatal(err)
	}
}

// After CheckTx passed a signer's transaction, its next one broadcast is
// verified before CheckTx, into the memo, with the keys CheckTx builds; a
// broadcast of a signer CheckTx never passed is not verified.
func TestPrecheckVerifiesNextTransaction(t *testing.T) {
	f := newMemoFixture(t, 16)
	next := f.tx("memo-1", 4, 1)
	f.d.pre.run(f.bytes(next))
	if f.memoLen() != 0 {
		t.Fatal("a signer CheckTx never passed was prechecked")
	}
	f.checkTxMode()
	before := f.memoLen()
	f.d.pre.run(f.bytes(next))
	if !f.inMemo(next) || f.memoLen() != before+1 {
		t.Fatalf("the next transaction was not prechecked (memo %d → %d)", before, f.memoLen())
	}
	if ok, err := f.check(next); !ok || err != nil {
		t.Fatalf("CheckTx of the prechecked transaction: %v %v", ok, err)
	}
}

// A broadcast with a forged signature is not remembered, and CheckTx still
// refuses it as unauthorized.
func TestAttackPrecheckForgedSignature(t *testing.T) {
	f := newMemoFixture(t, 16)
	f.checkTxMode()
	forged := f.forged(f.tx("memo-1", 4, 1))
	before := f.memoLen()
	f.d.pre.run(f.bytes(forged))
	if f.memoLen() != before || f.inMemo(forged) {
		t.Fatal("a forged signature entered the memo")
	}
	if ok, err := f.check(forged); ok || !errors.Is(err, sdkerrors.ErrUnauthorized) {
		t.Fatalf("CheckTx of the forged transaction: passed %v, %v", ok, err)
	}
}

// A sender cannot make the node verify for nothing: only the sequence
// CheckTx expects next is prechecked, once; a twin at that sequence, a
// later sequence and another chain's signature go the usual way (where
// the sequence is checked before the signature).
func TestAttackPrecheckFreeVerification(t *testing.T) {
	f := newMemoFixture(t, 16)
	f.checkTxMode()
	first, twin := f.tx("memo-1", 4, 1), f.tx("memo-1", 4, 2)
	f.d.pre.run(f.bytes(first))
	f.d.pre.run(f.bytes(twin))
	if !f.inMemo(first) || f.inMemo(twin) {
		t.Fatalf("first prechecked %v, twin prechecked %v: want true, false", f.inMemo(first), f.inMemo(twin))
	}
	later := f.tx("memo-1", 9, 1)
	f.d.pre.run(f.bytes(later))
	if f.inMemo(later) {
		t.Fatal("a sequence CheckTx does not expect was prechecked")
	}
	n := f.memoLen()
	f.d.pre.run([]byte("not a transaction"))
	if f.memoLen() != n {
		t.Fatal("garbage changed the memo")
	}
	// Once CheckTx passes the first, the sequence after it may be prechecked.
	if ok, err := f.check(first); !ok || err != nil {
		t.Fatalf("CheckTx of sequence 4: %v %v", ok, err)
	}
	f.passed(5)
	fifth := f.tx("memo-1", 5, 1)
	f.d.pre.run(f.bytes(fifth))
	if !f.inMemo(fifth) {
		t.Fatal("the sequence after a passed one was not prechecked")
	}
}

// The book of signers is bounded: past its size the signer learnt least
// recently leaves, not the one learnt first: a signer that keeps sending
// keeps its precheck however many others come and go (with the book
// emptied in the order first learnt, make bench-chain's claimers, learnt
// at their locks, had all left it by their claims).
func TestPrecheckBookBounded(t *testing.T) {
	p := newSigPrecheck(newSigMemo(4), nil, nil)
	name := func(i int) string { return fmt.Sprintf("addr-%d", i) }
	for i := 0; i < signerBookSize+10; i++ {
		p.learn("c", fixtureGate, []signerState{{addr: name(i), seq: 1}})
		if i%1000 == 999 { // signer 0 sends again now and then
			p.learn("c", fixtureGate, []signerState{{addr: name(0), seq: uint64(i)}})
		}
	}
	if len(p.signers) != signerBookSize || p.order.Len() != signerBookSize {
		t.Fatalf("book holds %d signers, order %d; want %d", len(p.signers), p.order.Len(), signerBookSize)
	}
	if _, _, ok := p.claim([]byte(name(1)), 1); ok {
		t.Fatal("the signer learnt least recently is still in the book")
	}
	if _, _, ok := p.claim([]byte(name(0)), uint64(signerBookSize+10)/1000*1000-1); !ok {
		t.Fatal("a signer learnt again lately left the book: it was learnt first")
	}
	if _, _, ok := p.claim([]byte(name(signerBookSize+9)), 1); !ok {
		t.Fatal("the newest signer is not in the book")
	}
}

// A precheck made without the app's book (the ante handler's own, see
// NewAnteHandler) learns signers too.
func TestPrecheckZeroBookLearns(t *testing.T) {
	p := &sigPrecheck{memo: newSigMemo(4)}
	p.learn("c", fixtureGate, []signerState{{addr: "a", seq: 3}})
	if _, _, ok := p.claim([]byte("a"), 3); !ok {
		t.Fatal("a signer learnt by a zero book is not in it")
	}
}
