package app

import (
	"context"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"cosmossdk.io/log"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// blockLog writes one line per committed block ("block executed", at
// info): where the height's time went at this node. CometBFT starts
// timeout_commit when the validators decide a block, and a block whose
// execution takes longer than that stretches the interval to the next one;
// CometBFT's own lines say that a block was late (a negative "Timed out
// dur"), not why. The line follows the height from the end of the last
// Commit: the wait until the height's first proposal call (CometBFT's
// rechecks of its mempool and its work after the last block, then what is
// left of timeout_commit), PrepareProposal (on the proposer) and
// ProcessProposal, the votes until FinalizeBlock (the prevotes until
// ExtendVote, which this validator calls as it precommits, and ExtendVote),
// FinalizeBlock split into before the block's transactions (pre- and
// begin-blockers), the transactions and after them (end-blockers and the
// working hash), the time from FinalizeBlock to Commit (CometBFT saving the
// block's results), and Commit; and the rechecks since the last block, with
// their time (they hold the app's lock). aichain-bench reads these lines to
// say where its longest intervals went.
type blockLog struct {
	logger log.Logger
	mu     sync.Mutex
	cur    heightTimes // the height being decided, since the last Commit
}

// heightTimes is what blockLog knows of one height.
type heightTimes struct {
	lastCommitEnd time.Time // the end of the last Commit
	// The height's proposal calls: when the first began, and each one's
	// span (the last call's, over rounds).
	proposeFrom              time.Time
	prepareFrom, prepareTo   time.Time
	processFrom, processTo   time.Time
	extendFrom, extendTo     time.Time // ExtendVote (the precommit's vote extension)
	start                    time.Time // FinalizeBlock began
	txsBegan, txsEnded       time.Time // the begin-blockers ended, the end-blockers began
	finalizeEnd, commitStart time.Time
	height                   int64
	txs                      int
	gasUsed                  int64

	// Rechecks since the last line (CheckTx calls of type RECHECK).
	rechecks  int
	recheckNs time.Duration
}

// mark records something of the height being decided: f runs on it under
// the lock. A nil blockLog records nothing.
func (b *blockLog) mark(f func(h *heightTimes)) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.cur)
}

// proposal records a PrepareProposal (prepare true) or ProcessProposal call
// that ran from from to to.
func (h *heightTimes) proposal(prepare bool, from, to time.Time) {
	if h.proposeFrom.IsZero() {
		h.proposeFrom = from
	}
	if prepare {
		h.prepareFrom, h.prepareTo = from, to
	} else {
		h.processFrom, h.processTo = from, to
	}
}

// finalizeBegin records the start of FinalizeBlock of block height with
// txs transactions.
func (h *heightTimes) finalizeBegin(now time.Time, height int64, txs int) {
	h.start, h.txsBegan, h.txsEnded = now, time.Time{}, time.Time{}
	h.height, h.txs, h.gasUsed = height, txs, 0
}

// finalized records FinalizeBlock's end and its results (for the gas used).
func (h *heightTimes) finalized(now time.Time, res *abci.ResponseFinalizeBlock) {
	h.finalizeEnd = now
	for _, r := range res.TxResults {
		h.gasUsed += r.GasUsed
	}
}

// committed logs the height whose block Commit ended at now, and starts
// the next height. A Commit without a FinalizeBlock before it logs
// nothing; a span whose start was not seen (the node's first height, a
// height without proposal calls) is 0.
func (b *blockLog) committed(now time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.cur.start.IsZero() && b.logger != nil {
		before, txs, after := b.cur.split()
		b.logger.Info(blockLine, "height", b.cur.height, "txs", b.cur.txs, "gas_used", b.cur.gasUsed,
			"wait_ms", span(b.cur.lastCommitEnd, b.cur.proposeFrom), "rechecks_before", b.cur.rechecks, "recheck_ms", ms(b.cur.recheckNs),
			"prepare_ms", span(b.cur.prepareFrom, b.cur.prepareTo), "process_ms", span(b.cur.processFrom, b.cur.processTo),
			"votes_ms", span(b.cur.processTo, b.cur.start), "to_extend_ms", span(b.cur.processTo, b.cur.extendFrom),
			"extend_ms", span(b.cur.extendFrom, b.cur.extendTo),
			"finalize_ms", span(b.cur.start, b.cur.finalizeEnd), "before_txs_ms", ms(before), "txs_ms", ms(txs), "after_txs_ms", ms(after),
			"results_ms", span(b.cur.finalizeEnd, b.cur.commitStart), "commit_ms", span(b.cur.commitStart, now))
	}
	b.cur = heightTimes{lastCommitEnd: now}
}

// blockLine is the message of the line.
const blockLine = "block executed"

// split is FinalizeBlock's time before the transactions, for them and
// after them; a block whose begin- or end-blockers were not seen counts
// whole as "after".
func (h *heightTimes) split() (before, txs, after time.Duration) {
	took := h.finalizeEnd.Sub(h.start)
	if h.txsBegan.IsZero() || h.txsEnded.IsZero() || h.txsEnded.Before(h.txsBegan) {
		return 0, 0, took
	}
	before, txs = h.txsBegan.Sub(h.start), h.txsEnded.Sub(h.txsBegan)
	return before, txs, max(took-before-txs, 0)
}

// span is to - from in milliseconds; 0 where either is unknown or to is
// before from.
func span(from, to time.Time) float64 {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	return ms(to.Sub(from))
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// PrepareProposal builds this validator's proposal (BaseApp's
// PrepareProposal); the block log times it.
func (app *App) PrepareProposal(req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	start := time.Now()
	res, err := app.BaseApp.PrepareProposal(req)
	end := time.Now()
	app.blocks.mark(func(h *heightTimes) { h.proposal(true, start, end) })
	return res, err
}

// ProcessProposal checks a proposal (BaseApp's ProcessProposal); the block
// log times it.
func (app *App) ProcessProposal(req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	start := time.Now()
	res, err := app.BaseApp.ProcessProposal(req)
	end := time.Now()
	app.blocks.mark(func(h *heightTimes) { h.proposal(false, start, end) })
	return res, err
}

// ExtendVote makes this validator's vote extension (BaseApp's ExtendVote);
// the block log times it.
func (app *App) ExtendVote(ctx context.Context, req *abci.RequestExtendVote) (*abci.ResponseExtendVote, error) {
	start := time.Now()
	res, err := app.BaseApp.ExtendVote(ctx, req)
	end := time.Now()
	app.blocks.mark(func(h *heightTimes) { h.extendFrom, h.extendTo = start, end })
	return res, err
}

// CheckTx checks a transaction (BaseApp's CheckTx); a new one is refused
// where the node's mempool has no room for it (mempoolRoom), and the block
// log counts the rechecks and their time.
func (app *App) CheckTx(req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	if req.Type != abci.CheckTxType_Recheck {
		if err := app.room.admit(len(req.Tx)); err != nil {
			return sdkerrors.ResponseCheckTxWithEvents(err, 0, 0, nil, false), nil
		}
		res, err := app.BaseApp.CheckTx(req)
		if err == nil && res != nil && res.Code == abci.CodeTypeOK {
			app.room.took(len(req.Tx))
		}
		return res, err
	}
	start := time.Now()
	res, err := app.BaseApp.CheckTx(req)
	took := time.Since(start)
	app.blocks.mark(func(h *heightTimes) { h.rechecks, h.recheckNs = h.rechecks+1, h.recheckNs+took })
	return res, err
}
