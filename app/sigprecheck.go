package app

import (
	"container/list"
	"context"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/anypb"

	signingv1beta1 "cosmossdk.io/api/cosmos/tx/signing/v1beta1"
	sdkmath "cosmossdk.io/math"
	txsigning "cosmossdk.io/x/tx/signing"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
)

// signerBookSize is how many signers sigPrecheck remembers: the signer
// learnt least recently leaves first. Every signer CheckTx passed since
// counts, so a signer falls out once this many others sent a transaction
// after its last one; its next transaction is then verified under the lock
// (as in CheckTx without a precheck). At 1 << 14 and leaving in the order
// first learnt, the claims of make bench-chain's 20,000 claimers, each
// learnt at its lock in the setup, were nearly all verified under the lock
// while the bank sends they were compared with were not (the claims ran at
// 0.65 × those sends). An entry is about 250 bytes: 16 MiB at most.
const signerBookSize = 1 << 16

// precheckTries is how many prechecks a signer's sequence gets while none
// verified. A signer's next sequence is public (its last transaction), so
// anyone may broadcast a forgery in its name at it: were the first try the
// only one, one free forgery would take the genuine transaction's precheck
// (TestAttackPrecheckForgedBroadcastBurnsVictimsSlotApp). A forgery at the
// right sequence that CheckTx takes to its signature check is verified by
// CheckTx under the app's lock (checkTxGate keeps from the precheck those
// it refuses before, on what they say alone), so
// taking the precheck from a genuine transaction costs the attacker this
// many such verifications, more lock time than the precheck saves.
const precheckTries = 4

// sigPrecheck verifies the signatures of a transaction broadcast over the
// node's gRPC tx service before CometBFT takes the app's lock to check it,
// and puts those that verify into the memo of verified signatures
// (sigMemo): CheckTx then finds them there and does not verify them under
// the lock. CheckTx, FinalizeBlock and Commit run one at a time under that
// lock, which bounds how many transactions a node commits a second, and
// the verification was 196 of CheckTx's 258 µs (docs/bench-chain-profiles.md).
// A key enters the memo only if its signature verified over those sign
// bytes with that public key, so a stale guess costs a miss, never a wrong
// result: CheckTx builds its keys from the state of the moment and
// verifies what it does not find.
//
// It verifies only for signers whose transaction CheckTx passed before, at
// the sequence CheckTx will expect next, at most precheckTries times per
// signer and sequence and never again once one verified; everything else
// goes the usual way, where the sequence and the fee are checked before the
// signature. So what it verifies for nothing (a transaction that then fails
// CheckTx pays no fee) is at most precheckTries transactions per signer
// between two of its transactions that paid. Nor does it verify, or count
// a try for, a transaction CheckTx refuses before its signature check on
// what the transaction says alone (see checkTxGate): such a forgery costs
// no verification under the lock, so it must cost the signer no try
// (TestAttackPrecheckExpiredForgeriesBurnVictimsTries).
type sigPrecheck struct {
	memo    *sigMemo
	decode  sdk.TxDecoder
	handler *txsigning.HandlerMap

	mu      sync.Mutex
	chainID string
	gate    checkTxGate
	signers map[string]*list.Element // by address bytes; each holds a *signerState
	order   list.List                // the signers, least recently learnt first
}

// signerState is what CheckTx last read of a signer's account.
type signerState struct {
	addr     string // address bytes
	accNum   uint64
	pk       cryptotypes.PubKey
	seq      uint64 // the sequence CheckTx expects next
	tries    int    // prechecks made at seq
	verified bool   // a precheck at seq verified
}

func newSigPrecheck(memo *sigMemo, decode sdk.TxDecoder, handler *txsigning.HandlerMap) *sigPrecheck {
	return &sigPrecheck{memo: memo, decode: decode, handler: handler, signers: make(map[string]*list.Element)}
}

// learn records the signers of a transaction CheckTx passed, and what that
// CheckTx checked the transaction against.
func (p *sigPrecheck) learn(chainID string, gate checkTxGate, signers []signerState) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.chainID = chainID
	p.gate.learn(gate)
	if p.signers == nil {
		p.signers = make(map[string]*list.Element)
	}
	for _, st := range signers {
		if e, ok := p.signers[st.addr]; ok {
			*e.Value.(*signerState) = st
			p.order.MoveToBack(e)
			continue
		}
		if p.order.Len() >= signerBookSize {
			oldest := p.order.Front()
			delete(p.signers, oldest.Value.(*signerState).addr)
			p.order.Remove(oldest)
		}
		c := st
		p.signers[st.addr] = p.order.PushBack(&c)
	}
}

// signer returns what the book holds of addr. p.mu is held.
func (p *sigPrecheck) signer(addr []byte) (*signerState, bool) {
	e, ok := p.signers[string(addr)]
	if !ok {
		return nil, false
	}
	return e.Value.(*signerState), true
}

// claim returns what CheckTx read of addr if seq is the sequence it
// expects next, none verified at it and fewer than precheckTries were made,
// counting this one (a try counts from its start, so that tries running
// at once stay within the bound).
func (p *sigPrecheck) claim(addr []byte, seq uint64) (signerState, string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.signer(addr)
	if !ok || st.seq != seq || st.verified || st.tries >= precheckTries {
		return signerState{}, "", false
	}
	st.tries++
	return *st, p.chainID, true
}

// verified marks the sequences of parts' signers as verified: no precheck
// is made at them again.
func (p *sigPrecheck) verified(parts txSigParts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, sig := range parts.sigs {
		if st, ok := p.signer(parts.signers[i]); ok && st.seq == sig.Sequence {
			st.verified = true
		}
	}
}

// run verifies the signatures of txBytes where it may (see sigPrecheck)
// and remembers them in the memo when every one verified.
func (p *sigPrecheck) run(txBytes []byte) {
	if p == nil {
		return
	}
	tx, err := p.decode(txBytes)
	if err != nil || !p.admits(tx) {
		return
	}
	parts, ok := signedParts(tx)
	if !ok {
		return
	}
	keys := make([][32]byte, len(parts.sigs))
	for i, sig := range parts.sigs {
		st, chainID, ok := p.claim(parts.signers[i], sig.Sequence)
		if !ok {
			return
		}
		k, signBytes, err := signKey(context.Background(), p.handler, parts, i, chainID, st.accNum, st.pk)
		if err != nil || !st.pk.VerifySignature(signBytes, parts.single[i].Signature) {
			return
		}
		keys[i] = k
	}
	p.verified(parts)
	p.memo.addAll(keys)
}

// admits reports whether CheckTx, as the precheck last learnt of it, takes
// tx as far as its signature check.
func (p *sigPrecheck) admits(tx sdk.Tx) bool {
	p.mu.Lock()
	g := p.gate
	p.mu.Unlock()
	return g.admits(tx)
}

// block records the height and time of a finalized block: CheckTx checks
// timeouts against them from its commit on (a block early here, where a
// transaction that expires at it is skipped: CheckTx refuses it once the
// block is committed anyway).
func (p *sigPrecheck) block(height int64, t time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gate.learn(checkTxGate{height: height, time: t, maxMemo: p.gate.maxMemo, minGasPrices: p.gate.minGasPrices})
}

// checkTxGate is what CheckTx refuses a transaction on, before any account
// read or signature check, from the transaction alone (the ante chain's
// TxTimeoutHeightDecorator, ValidateMemoDecorator, feeDenomDecorator and the
// fee check against the node's min gas prices): the block's height and time,
// the auth params' max memo characters and the node's minimum-gas-prices, as
// the last CheckTx that passed (and the last block finalized) had them. A
// forgery refused there is free and costs the node no verification under
// the lock. The height and time only grow, so a value a few blocks old lets
// through a transaction CheckTx would refuse only where it is learnt late.
type checkTxGate struct {
	height       int64
	time         time.Time
	maxMemo      uint64 // 0: not learnt yet (the auth params require more)
	minGasPrices sdk.DecCoins
}

// learn takes g's values, the height and time only forward.
func (gate *checkTxGate) learn(g checkTxGate) {
	if g.height > gate.height {
		gate.height = g.height
	}
	if g.time.After(gate.time) {
		gate.time = g.time
	}
	gate.maxMemo, gate.minGasPrices = g.maxMemo, g.minGasPrices
}

// admits reports whether CheckTx takes tx past the checks of checkTxGate;
// false while a value is unknown.
func (gate checkTxGate) admits(tx sdk.Tx) bool {
	t, ok := tx.(interface {
		sdk.FeeTx
		sdk.TxWithMemo
		ante.TxWithTimeoutHeight
	})
	if !ok || gate.height <= 0 || gate.maxMemo == 0 || t.GetGas() > txtypes.MaxGasWanted {
		return false
	}
	if h := t.GetTimeoutHeight(); h > 0 && uint64(gate.height) > h {
		return false
	}
	if ts := t.GetTimeoutTimeStamp(); !ts.IsZero() && ts.Unix() != 0 && ts.Before(gate.time) {
		return false
	}
	if uint64(len(t.GetMemo())) > gate.maxMemo {
		return false
	}
	fee := t.GetFee()
	for _, c := range fee {
		if c.Denom != BondDenom {
			return false
		}
	}
	if gate.minGasPrices.IsZero() {
		return true
	}
	// as the SDK's checkTxFeeWithValidatorMinGasPrices: ceil(price × gas limit)
	gas := sdkmath.LegacyNewDecFromInt(sdkmath.NewIntFromUint64(t.GetGas()))
	required := make(sdk.Coins, len(gate.minGasPrices))
	for i, gp := range gate.minGasPrices {
		required[i] = sdk.NewCoin(gp.Denom, gp.Amount.Mul(gas).Ceil().RoundInt())
	}
	return fee.IsAnyGTE(required)
}

// txSigParts are what a memo key is made of, for each signature of a
// transaction.
type txSigParts struct {
	sigs    []signing.SignatureV2
	single  []*signing.SingleSignatureData
	modes   []signingv1beta1.SignMode
	signers [][]byte
	txData  txsigning.TxData
}

// signedParts returns tx's signatures, signers and signing data, or false
// when tx goes the SDK's way only: an unordered transaction, a multisig,
// a sign mode other than DIRECT and LEGACY_AMINO_JSON, or signatures that
// do not match the signers one to one.
func signedParts(tx sdk.Tx) (txSigParts, bool) {
	sigTx, ok := tx.(authsigning.Tx)
	if !ok {
		return txSigParts{}, false
	}
	adaptable, ok := tx.(authsigning.V2AdaptableTx)
	if !ok {
		return txSigParts{}, false
	}
	if u, ok := tx.(sdk.TxWithUnordered); ok && u.GetUnordered() {
		return txSigParts{}, false
	}
	sigs, err := sigTx.GetSignaturesV2()
	if err != nil {
		return txSigParts{}, false
	}
	signers, err := sigTx.GetSigners()
	if err != nil || len(sigs) != len(signers) || len(sigs) == 0 {
		return txSigParts{}, false
	}
	parts := txSigParts{sigs: sigs, signers: signers, single: make([]*signing.SingleSignatureData, len(sigs)),
		modes: make([]signingv1beta1.SignMode, len(sigs))}
	for i, sig := range sigs {
		single, ok := sig.Data.(*signing.SingleSignatureData)
		if !ok {
			return txSigParts{}, false
		}
		switch single.SignMode {
		case signing.SignMode_SIGN_MODE_DIRECT:
			parts.modes[i] = signingv1beta1.SignMode_SIGN_MODE_DIRECT
		case signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON:
			parts.modes[i] = signingv1beta1.SignMode_SIGN_MODE_LEGACY_AMINO_JSON
		default:
			return txSigParts{}, false
		}
		parts.single[i] = single
	}
	parts.txData = adaptable.GetSigningTxData()
	return parts, true
}

// signKey returns the memo key of signature i of parts and its sign bytes,
// built as the SDK's signature decorator builds them, for the signer's
// account number and public key given.
func signKey(ctx context.Context, handler *txsigning.HandlerMap, parts txSigParts, i int, chainID string,
	accNum uint64, pk cryptotypes.PubKey,
) ([32]byte, []byte, error) {
	anyPk, err := codectypes.NewAnyWithValue(pk)
	if err != nil {
		return [32]byte{}, nil, err
	}
	signBytes, err := handler.GetSignBytes(ctx, parts.modes[i], txsigning.SignerData{
		Address: sdk.AccAddress(parts.signers[i]).String(), ChainID: chainID, AccountNumber: accNum,
		Sequence: parts.sigs[i].Sequence, PubKey: &anypb.Any{TypeUrl: anyPk.TypeUrl, Value: anyPk.Value},
	}, parts.txData)
	if err != nil {
		return [32]byte{}, nil, err
	}
	return sigMemoKey(anyPk.TypeUrl, pk.Bytes(), signBytes, parts.single[i].Signature), signBytes, nil
}
