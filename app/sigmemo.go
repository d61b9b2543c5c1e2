package app

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"

	storetypes "cosmossdk.io/store/types"
	txsigning "cosmossdk.io/x/tx/signing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
)

// sigMemoSize is how many verified signatures a node remembers: four times
// CometBFT's default mempool (5,000 txs), so that a tx checked when it
// entered the mempool is still remembered when a block holds it.
const sigMemoSize = 1 << 15

// sigMemo is the set of signatures this node has verified, each as the
// SHA-256 of (public key type, public key, sign bytes, signature). Whether
// a signature verifies is a function of those four alone, so a set of
// triples that verified is a memo of that function: a transaction checked
// in CheckTx is not verified again when a block holds it, and every node
// reaches the same result whether or not it saw the transaction before
// (the sign bytes are computed from the state of the moment each time). It
// holds only what verified here; the oldest entry leaves first.
type sigMemo struct {
	mu   sync.Mutex
	set  map[[32]byte]struct{}
	ring [][32]byte
	next int
}

func newSigMemo(size int) *sigMemo {
	return &sigMemo{set: make(map[[32]byte]struct{}, size), ring: make([][32]byte, 0, size)}
}

// has reports whether key was verified here.
func (m *sigMemo) has(key [32]byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.set[key]
	return ok
}

// addAll remembers keys (signatures that just verified).
func (m *sigMemo) addAll(keys [][32]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cap(m.ring) == 0 {
		return // a memo of size 0 remembers nothing
	}
	for _, k := range keys {
		if _, ok := m.set[k]; ok {
			continue
		}
		if len(m.ring) < cap(m.ring) {
			m.ring = append(m.ring, k)
		} else {
			delete(m.set, m.ring[m.next])
			m.ring[m.next] = k
			m.next = (m.next + 1) % len(m.ring)
		}
		m.set[k] = struct{}{}
	}
}

// sigMemoKey is the memo's key of one signature.
func sigMemoKey(pkType string, pk, signBytes, sig []byte) [32]byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(pkType), pk, signBytes, sig} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// memoSigVerifyDecorator runs the SDK's SigVerificationDecorator, which
// checks each signer's sequence and public key and verifies each
// signature, but lets it skip the verification (the elliptic-curve part,
// the largest cost of a transaction, paid once in CheckTx and again in the
// block) when every signature of the transaction is in the memo. A
// signature enters the memo only after the SDK's decorator verified it, or
// after sigPrecheck verified it with the key and account number CheckTx
// had read. Simulation, ReCheckTx, multisig, unordered transactions and
// sign modes other than DIRECT and LEGACY_AMINO_JSON always go the SDK's
// way. The memo's own account reads are not charged, so gas is the same
// either way. Each transaction CheckTx passes tells pre (when set) its
// signers' account numbers, keys and next sequences.
type memoSigVerifyDecorator struct {
	verify  ante.SigVerificationDecorator
	ak      ante.AccountKeeper
	handler *txsigning.HandlerMap
	memo    *sigMemo
	pre     *sigPrecheck
}

func (d memoSigVerifyDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if simulate || ctx.IsReCheckTx() || !ctx.IsSigverifyTx() {
		return d.verify.AnteHandle(ctx, tx, simulate, next)
	}
	parts, ok := signedParts(tx)
	if !ok {
		return d.verify.AnteHandle(ctx, tx, simulate, next)
	}
	free := ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
	// A signer without an account or a key, or at a sequence its account
	// does not expect, is refused by the SDK's decorator before it builds
	// any sign bytes: such a transaction (refused, it pays no fee) goes
	// its way and costs no more than there
	// (TestAttackMemoKeysBeforeSequenceCheckApp).
	signers, ok := d.signers(free, parts)
	if !ok {
		return d.verify.AnteHandle(ctx, tx, simulate, next)
	}
	// The signers are learnt only once the whole ante handler passed
	// (learnPassed): a CheckTx that fails after this decorator (out of gas
	// in the sequence increment, a redundant relay) pays nothing and must
	// earn no precheck (TestAttackPrecheckCreditFromFailedCheckTx).
	passed := func(c sdk.Context) sdk.Context {
		if c.IsCheckTx() && d.pre != nil {
			return c.WithValue(passedSignersKey{}, passedCheck{signers: signers, maxMemo: d.ak.GetParams(free).MaxMemoCharacters})
		}
		return c
	}
	// The keys are built one at a time up to the first not in the memo:
	// past it the SDK's decorator verifies, and stops at the first bad
	// signature, so a forgery costs one key more than it does there. The
	// rest are built once every signature verified.
	keys := make([][32]byte, len(parts.sigs))
	for i := range keys {
		k, err := d.key(free, parts, i, signers[i])
		if err != nil {
			return d.verify.AnteHandle(ctx, tx, simulate, next)
		}
		keys[i] = k
		if d.memo.has(k) {
			continue
		}
		return d.verify.AnteHandle(ctx, tx, simulate, func(c sdk.Context, t sdk.Tx, s bool) (sdk.Context, error) {
			// the SDK's decorator calls on only when every signature verified
			if d.buildRest(free, parts, signers, keys, i+1) {
				d.memo.addAll(keys)
			}
			return next(passed(c), t, s)
		})
	}
	return d.verify.AnteHandle(ctx.WithIsSigverifyTx(false), tx, simulate, func(c sdk.Context, t sdk.Tx, s bool) (sdk.Context, error) {
		return next(passed(c).WithIsSigverifyTx(true), t, s)
	})
}

// passedSignersKey is the context key under which memoSigVerifyDecorator
// leaves a CheckTx's signers (a passedCheck) for learnPassed.
type passedSignersKey struct{}

// passedCheck is a CheckTx's signers and the auth params' max memo
// characters it checked the memo against.
type passedCheck struct {
	signers []signerState
	maxMemo uint64
}

// learnPassed tells pre the signers memoSigVerifyDecorator left in ctx, the
// context an ante handler that passed returned: only a transaction the whole
// CheckTx accepted (its fee paid, its sequence used) earns its signers a
// precheck of their next transaction. With them pre learns what that
// CheckTx checked before the signatures (checkTxGate).
func learnPassed(ctx sdk.Context, pre *sigPrecheck) {
	if passed, ok := ctx.Value(passedSignersKey{}).(passedCheck); ok && ctx.IsCheckTx() && !ctx.IsReCheckTx() {
		pre.learn(ctx.ChainID(), checkTxGate{height: ctx.BlockHeight(), time: ctx.BlockTime(), maxMemo: passed.maxMemo,
			minGasPrices: ctx.MinGasPrices()}, passed.signers)
	}
}

// signers returns what each signer's account says (point reads, no sign
// bytes), or false where the SDK's decorator will refuse the transaction
// before verifying every signature: an account missing or without a public
// key, or a sequence other than the account's.
func (d memoSigVerifyDecorator) signers(ctx sdk.Context, parts txSigParts) ([]signerState, bool) {
	states := make([]signerState, len(parts.sigs))
	for i, sig := range parts.sigs {
		acc := d.ak.GetAccount(ctx, parts.signers[i])
		if acc == nil || acc.GetPubKey() == nil || acc.GetSequence() != sig.Sequence {
			return nil, false
		}
		states[i] = signerState{addr: string(parts.signers[i]), accNum: acc.GetAccountNumber(), pk: acc.GetPubKey(), seq: sig.Sequence + 1}
	}
	return states, true
}

// key returns the memo key of signature i, with the sign bytes built as the
// SDK's decorator builds them (signer data from the account as it is now).
func (d memoSigVerifyDecorator) key(ctx sdk.Context, parts txSigParts, i int, st signerState) ([32]byte, error) {
	accNum := st.accNum
	if ctx.BlockHeight() == 0 {
		accNum = 0
	}
	k, _, err := signKey(ctx, d.handler, parts, i, ctx.ChainID(), accNum, st.pk)
	return k, err
}

// buildRest fills keys from index from on; false if a key cannot be built.
func (d memoSigVerifyDecorator) buildRest(ctx sdk.Context, parts txSigParts, signers []signerState, keys [][32]byte, from int) bool {
	for i := from; i < len(keys); i++ {
		k, err := d.key(ctx, parts, i, signers[i])
		if err != nil {
			return false
		}
		keys[i] = k
	}
	return true
}
