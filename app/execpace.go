package app

import (
	"math"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/cosmos/cosmos-sdk/telemetry"
)

// paceDecay is the weight a block's measurement keeps in execPace after
// each later block that held transactions: after 8 such blocks it counts
// a tenth as much as the newest.
const paceDecay = 0.75

// execPace measures how long this node takes to execute transactions, per
// unit of their gas limit, over its recent blocks: the time from the end of
// the begin-blockers to the start of the end-blockers (the transactions
// alone), plus the block's Commit (which writes what they changed), over
// the sum of the transactions' gas limits. The measurements are summed with
// decaying weights, so a block's weight is its gas: a block of a few
// transactions moves the estimate little, a full one much.
//
// With [proposer] max-exec-time it turns that time into the gas budget of
// the blocks this validator proposes (budget). It is the node's own
// measure of its own speed, used only where a proposer chooses freely
// (which transactions its proposal holds): other validators do not check
// it, and nothing in the state depends on it.
type execPace struct {
	mu sync.Mutex
	// ns and gas are the decayed sums of the measured blocks' times and
	// gas limits; their ratio is the estimate.
	ns, gas float64
	// The block being executed: when its transactions began and ended, and
	// its transactions' time and gas once FinalizeBlock returned (gas 0:
	// nothing to add at Commit).
	txsBegan, txsEnded time.Time
	pendingTxs         time.Duration
	pendingGas         uint64
}

// txsBegin marks the end of the begin-blockers: the block's transactions
// run next.
func (p *execPace) txsBegin(now time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.txsBegan, p.txsEnded = now, time.Time{}
}

// txsEnd marks the start of the end-blockers: the block's transactions
// have run.
func (p *execPace) txsEnd(now time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.txsEnded = now
}

// finalized takes the gas limits of the transactions FinalizeBlock
// executed; the block's measurement waits for its Commit.
func (p *execPace) finalized(res *abci.ResponseFinalizeBlock) {
	if p == nil {
		return
	}
	var gas uint64
	for _, r := range res.TxResults {
		if r != nil && r.GasWanted > 0 {
			gas = satAdd(gas, uint64(r.GasWanted))
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pendingTxs, p.pendingGas = 0, 0
	if !p.txsBegan.IsZero() && p.txsEnded.After(p.txsBegan) {
		p.pendingTxs, p.pendingGas = p.txsEnded.Sub(p.txsBegan), gas
	}
	p.txsBegan, p.txsEnded = time.Time{}, time.Time{}
}

// committed adds the block FinalizeBlock executed, with its Commit's
// duration, to the estimate. A block that held no gas leaves it as it was,
// so that an idle chain keeps what the last busy blocks measured.
func (p *execPace) committed(commit time.Duration) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pendingGas == 0 {
		return
	}
	p.ns = p.ns*paceDecay + float64(p.pendingTxs+commit)
	p.gas = p.gas*paceDecay + float64(p.pendingGas)
	p.pendingGas = 0
}

// nsPerGas is the estimate: nanoseconds of execution per unit of gas
// limit; 0 before the node has executed a block with transactions.
func (p *execPace) nsPerGas() float64 {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gas < 1 {
		return 0
	}
	return p.ns / p.gas
}

// budget is the most gas (summed gas limits) this node executes in
// maxExec, at its measured pace; 0 when there is no limit: maxExec is 0 or
// nothing has been measured yet.
func (p *execPace) budget(maxExec time.Duration) uint64 {
	if maxExec <= 0 {
		return 0
	}
	return budgetAt(maxExec, p.nsPerGas())
}

// budgetAt is budget at the pace ns (nanoseconds per unit of gas; 0: none
// measured).
func budgetAt(maxExec time.Duration, ns float64) uint64 {
	if maxExec <= 0 || ns <= 0 {
		return 0
	}
	b := float64(maxExec) / ns
	if b >= math.MaxUint64 {
		return math.MaxUint64
	}
	return max(uint64(b), 1)
}

// report sets the telemetry gauges of the estimate and the budget it gives
// (aichain_proposer_exec_ns_per_gas, aichain_proposer_exec_budget_gas),
// when telemetry is on.
func (p *execPace) report(maxExec time.Duration) {
	if !telemetry.IsTelemetryEnabled() {
		return
	}
	ns := p.nsPerGas()
	telemetry.SetGauge(float32(ns), "aichain", "proposer", "exec_ns_per_gas")
	telemetry.SetGauge(float32(budgetAt(maxExec, ns)), "aichain", "proposer", "exec_budget_gas")
}

// satAdd is a + b, or the largest uint64 where that overflows.
func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

// FinalizeBlock executes a block (BaseApp's FinalizeBlock) and hands the
// gas its transactions asked for to the proposer's pace.
func (app *App) FinalizeBlock(req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	res, err := app.BaseApp.FinalizeBlock(req)
	if err == nil && res != nil {
		app.pace.finalized(res)
	}
	return res, err
}

// Commit commits the finalized block (BaseApp's Commit) and adds the block
// to the proposer's pace.
func (app *App) Commit() (*abci.ResponseCommit, error) {
	start := time.Now()
	res, err := app.BaseApp.Commit()
	if err == nil {
		app.pace.committed(time.Since(start))
		app.pace.report(app.proposer.MaxExecTime)
	}
	return res, err
}
