package app

import (
	"sync"
	"sync/atomic"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// checkedTxs remembers what a proposal reads of each transaction this
// node's CheckTx admitted (its gas limit and kind), keyed by its exact
// bytes, so that PrepareProposal does not decode again every transaction
// CometBFT's mempool hands it: decoding 2,000 bank sends took ~25 ms of the
// proposer's critical path, between timeout_commit and its proposal.
//
// A transaction is remembered when CheckTx or ReCheck admits it, forgotten
// when ReCheck refuses it (the mempool drops it) or a block executes it, and
// at most maxCheckedTxs of at most maxCheckedBytes in all are kept (one
// CometBFT admits and then drops, a full mempool's, stays until then), in
// two generations: when the newer one holds half of either, the older is
// dropped. A transaction forgotten, or never checked here (a proposal may
// hold transactions this node has not seen), is decoded as before. Only
// what the SDK's own decoder made of the same bytes is kept, and only the
// proposer's choice of transactions reads it: nothing here reaches the
// state or another validator. Transactions its ante handler refuses (free
// to send) are not remembered.
type checkedTxs struct {
	mu        sync.Mutex
	cur, prev map[string]txGasKind
	curBytes  int // the bytes of cur's transactions
	half      int // cur's size at which it becomes prev
	halfBytes int // cur's bytes at which it becomes prev
}

// maxCheckedTxs and maxCheckedBytes bound checkedTxs (CometBFT's mempool
// holds 5,000 transactions, 1 GB, by default; a transaction may be 1 MB).
const (
	maxCheckedTxs   = 20_000
	maxCheckedBytes = 32 << 20
)

func newCheckedTxs(limit, limitBytes int) *checkedTxs {
	half := max(limit/2, 1)
	return &checkedTxs{cur: make(map[string]txGasKind, half), half: half, halfBytes: max(limitBytes/2, 1)}
}

func (c *checkedTxs) add(bz []byte, t txGasKind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[string(bz)]; ok {
		return
	}
	if len(bz) > c.halfBytes {
		return
	}
	if len(c.cur) >= c.half || c.curBytes+len(bz) > c.halfBytes {
		c.prev, c.cur, c.curBytes = c.cur, make(map[string]txGasKind, c.half), 0
	}
	c.cur[string(bz)] = t
	c.curBytes += len(bz)
}

func (c *checkedTxs) get(bz []byte) (txGasKind, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.cur[string(bz)]; ok {
		return t, true
	}
	t, ok := c.prev[string(bz)]
	return t, ok
}

func (c *checkedTxs) forget(bz []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[string(bz)]; ok {
		delete(c.cur, string(bz))
		c.curBytes -= len(bz)
	}
	delete(c.prev, string(bz))
}

// size is how many transactions are remembered, of how many bytes (counted:
// for tests).
func (c *checkedTxs) size() (n, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[string]txGasKind{c.cur, c.prev} {
		for bz := range m {
			bytes += len(bz)
		}
	}
	return len(c.cur) + len(c.prev), bytes
}

// remember wraps the ante handler: a transaction CheckTx or ReCheck admits
// is remembered, one ReCheck refuses or a block executes is forgotten.
func (c *checkedTxs) remember(next sdk.AnteHandler) sdk.AnteHandler {
	return func(ctx sdk.Context, tx sdk.Tx, simulate bool) (sdk.Context, error) {
		newCtx, err := next(ctx, tx, simulate)
		if simulate {
			return newCtx, err
		}
		switch mode := ctx.ExecMode(); {
		case err == nil && (mode == sdk.ExecModeCheck || mode == sdk.ExecModeReCheck):
			c.add(ctx.TxBytes(), gasKindOf(tx))
		case mode == sdk.ExecModeReCheck || mode == sdk.ExecModeFinalize:
			c.forget(ctx.TxBytes())
		}
		return newCtx, err
	}
}

// proposalTxs is the proposal handler's transaction verifier: the app's,
// but for TxDecode, which the SDK's PrepareProposal (with CometBFT's
// mempool) calls on each candidate only to hand it to the selector: a
// transaction CheckTx admitted is answered from checked, without decoding.
// ProcessProposal does not call it (it checks the verifier's other methods).
type proposalTxs struct {
	baseapp.ProposalTxVerifier
	checked *checkedTxs
	decoded atomic.Int64 // candidates decoded (not remembered)
}

func (p *proposalTxs) TxDecode(bz []byte) (sdk.Tx, error) {
	if t, ok := p.checked.get(bz); ok {
		return t, nil
	}
	p.decoded.Add(1)
	return p.ProposalTxVerifier.TxDecode(bz)
}
