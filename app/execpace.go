package app

import (
	"math"
	"reflect"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/hashicorp/go-metrics"
	protov2 "google.golang.org/protobuf/proto"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/telemetry"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// paceDecay is the weight a block's measurement keeps in execPace after
// each later block that held transactions: after 8 such blocks it counts
// a tenth as much as the newest.
const paceDecay = 0.75

// execPace measures how long this node takes to execute blocks, per unit
// of their transactions' gas limits, over its recent blocks: the whole of
// FinalizeBlock (pre-, begin- and end-blockers, the transactions, the
// working hash) and the block's Commit, over the sum of the transactions'
// gas limits. The measurements are summed with decaying weights, so a
// block's weight is its gas: a block of a few transactions moves the
// estimate little, a full one much. It keeps the same estimate for each
// kind of transaction (its first message's type): each transaction runs
// from the start of its ante handler to the start of the next one's (or of
// the end-blockers), and the block's time is shared among its kinds in
// proportion to those times. Kinds differ: a cold claim of rewards took
// three times as long per unit of gas as a bank send.
//
// With [proposer] max-exec-time it turns that time into the time budget of
// the blocks this validator proposes (budgetSelector). It is the node's own
// measure of its own speed, used only where a proposer chooses freely
// (which transactions its proposal holds): other validators do not check
// it, and nothing in the state depends on it.
type execPace struct {
	mu sync.Mutex
	// ns and gas are the decayed sums of the measured blocks' times and
	// gas limits; their ratio is the estimate.
	ns, gas float64
	// The block being executed: when its transactions began and ended
	// (txStart times only between the two), and its FinalizeBlock's time
	// once it returned.
	txsBegan, txsEnded time.Time
	pendingTook        time.Duration

	// kinds is the pace of each kind of transaction (paceKind), summed as
	// ns and gas are but only over the blocks that held the kind; at most
	// maxPaceKinds of them.
	kinds map[paceKind]*kindPace
	// The block's transactions as the ante handler saw them start (txStart):
	// the one running, since when, with its gas limit; and the time and gas
	// of each kind so far (block), handed to pending when FinalizeBlock
	// returns.
	running      paceKind
	runningSince time.Time
	runningGas   uint64
	block        map[paceKind]*kindPace
	pendingKinds map[paceKind]*kindPace
}

// paceKind is what the pace tells transactions apart by: the Go type of a
// transaction's first message. Transactions are decoded into the codec's
// registered types, so there are as many kinds as message types; nil for a
// transaction with no message.
type paceKind = reflect.Type

// txGasKind is what the pace and a proposal read of a transaction: its gas
// limit and its kind. It is also an sdk.Tx without messages: the form in
// which PrepareProposal hands the selector a transaction this node's CheckTx
// admitted (checkedTxs), not decoded again.
type txGasKind struct {
	gas  uint64
	kind paceKind
}

func (txGasKind) GetMsgs() []sdk.Msg                    { return nil }
func (txGasKind) GetMsgsV2() ([]protov2.Message, error) { return nil, nil }
func (t txGasKind) GetGas() uint64                      { return t.gas }

// gasKindOf is tx's gas limit and kind.
func gasKindOf(tx sdk.Tx) txGasKind {
	if t, ok := tx.(txGasKind); ok {
		return t
	}
	var t txGasKind
	if msgs := tx.GetMsgs(); len(msgs) > 0 {
		t.kind = reflect.TypeOf(msgs[0])
	}
	if g, ok := tx.(baseapp.GasTx); ok {
		t.gas = g.GetGas()
	}
	return t
}

// maxPaceKinds bounds execPace.kinds (there are fewer message types): a
// kind beyond it counts only in the node's overall pace.
const maxPaceKinds = 256

// kindPace is a kind's (decayed) time and gas limits.
type kindPace struct{ ns, gas float64 }

// txsBegin marks the end of the begin-blockers: the block's transactions
// run next.
func (p *execPace) txsBegin(now time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.txsBegan, p.txsEnded = now, time.Time{}
	p.running, p.runningSince, p.runningGas, p.block = nil, time.Time{}, 0, nil
}

// txStart marks the start of a transaction of kind with gas limit gas in
// the block being executed (its ante handler runs next); the one before it
// ends here. Outside the span txsBegin..txsEnd it does nothing.
func (p *execPace) txStart(now time.Time, kind paceKind, gas uint64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txsBegan.IsZero() || !p.txsEnded.IsZero() {
		return
	}
	p.endRunning(now)
	p.running, p.runningSince, p.runningGas = kind, now, gas
}

// txFailed marks the running transaction's ante handler as failed: its
// time counts, its gas limit does not. A transaction refused by its ante
// handler in a block (a stale sequence, a bad signature) pays no fee, so
// anyone could otherwise fill blocks with such transactions asking for
// much gas, quickly refused, and make this node's pace (ns per unit of
// gas) look fast, and its proposals overrun max-exec-time.
func (p *execPace) txFailed() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningSince.IsZero() {
		p.runningGas = 0
	}
}

// endRunning adds the running transaction, ended at now, to its kind's
// time in this block. p.mu is held.
func (p *execPace) endRunning(now time.Time) {
	if p.runningSince.IsZero() {
		return
	}
	if p.block == nil {
		p.block = map[paceKind]*kindPace{}
	}
	k := p.block[p.running]
	if k == nil {
		k = &kindPace{}
		p.block[p.running] = k
	}
	if now.After(p.runningSince) {
		k.ns += float64(now.Sub(p.runningSince))
	}
	k.gas += float64(p.runningGas)
	p.runningSince = time.Time{}
}

// txsEnd marks the start of the end-blockers: the block's transactions
// have run.
func (p *execPace) txsEnd(now time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.txsEnded.IsZero() {
		p.endRunning(now)
	}
	p.txsEnded = now
}

// finalized takes how long FinalizeBlock took; the block's measurement
// waits for its Commit.
func (p *execPace) finalized(took time.Duration) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pendingTook, p.pendingKinds = 0, nil
	if took > 0 {
		p.pendingTook, p.pendingKinds = took, p.block
	}
	p.txsBegan, p.txsEnded = time.Time{}, time.Time{}
	p.running, p.runningSince, p.block = nil, time.Time{}, nil
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
	kinds := p.pendingKinds
	p.pendingKinds = nil
	var ns, gas float64 // the time and gas of the kinds with gas
	for _, b := range kinds {
		if b.gas >= 1 {
			ns, gas = ns+b.ns, gas+b.gas
		}
	}
	if gas < 1 {
		return
	}
	total := float64(p.pendingTook + commit)
	p.ns = p.ns*paceDecay + total
	p.gas = p.gas*paceDecay + gas
	p.addKinds(kinds, total, ns, gas)
}

// addKinds adds a committed block's kinds to their paces, sharing the
// block's time total among them in proportion to the time their
// transactions ran, ns in all (or, where none was measured, to their gas,
// gas in all). A transaction without gas (the proposer's injected verdicts)
// gives its kind no pace: its time goes to the others. A kind the block did
// not hold keeps its pace. p.mu is held.
func (p *execPace) addKinds(kinds map[paceKind]*kindPace, total, ns, gas float64) {
	for kind, b := range kinds {
		if b.gas < 1 {
			continue
		}
		k := p.kinds[kind]
		if k == nil {
			if len(p.kinds) >= maxPaceKinds {
				continue
			}
			if p.kinds == nil {
				p.kinds = map[paceKind]*kindPace{}
			}
			k = &kindPace{}
			p.kinds[kind] = k
		}
		share := b.gas / gas
		if ns > 0 {
			share = b.ns / ns
		}
		k.ns = k.ns*paceDecay + total*share
		k.gas = k.gas*paceDecay + b.gas
	}
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

// unmeasuredFactor is how much slower than the slowest kind measured a
// kind not yet measured is assumed to be: until a block has timed it, its
// transactions fill a proposal's time budget at this many times that pace
// (at least the node's overall pace), so that the first block of a kind
// the node has not run (a phase of cold claims after a run of sends) does
// not take several times the budget.
const unmeasuredFactor = 2

// paces is a snapshot of the pace for one proposal: ns per unit of gas
// limit of each kind measured, and of any other kind.
type paces struct {
	kinds      map[paceKind]float64
	unmeasured float64
}

// of is the pace of kind (ns per unit of gas limit).
func (ps paces) of(kind paceKind) float64 {
	if ns, ok := ps.kinds[kind]; ok {
		return ns
	}
	return ps.unmeasured
}

// snapshot is the pace of each kind now; ok is false before the node has
// measured a block with transactions (there is then no time budget).
func (p *execPace) snapshot() (ps paces, ok bool) {
	if p == nil {
		return paces{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gas < 1 {
		return paces{}, false
	}
	overall := p.ns / p.gas
	ps = paces{kinds: make(map[paceKind]float64, len(p.kinds)), unmeasured: overall}
	for kind, k := range p.kinds {
		if k.gas >= 1 {
			ns := k.ns / k.gas
			ps.kinds[kind] = ns
			ps.unmeasured = max(ps.unmeasured, ns)
		}
	}
	ps.unmeasured *= unmeasuredFactor
	return ps, true
}

// budgetAt is the most gas (summed gas limits) a node executes in maxExec
// at the pace ns (nanoseconds per unit of gas); 0 when there is no limit:
// maxExec is 0 or nothing has been measured (ns is 0).
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
// (aichain_proposer_exec_ns_per_gas, aichain_proposer_exec_budget_gas), and
// of each kind's pace, labelled with its message's type URL
// (aichain_proposer_exec_ns_per_gas_by_kind{msg="/aichain.compute.v1.MsgCreateJob"}):
// which kinds this machine runs slowly for their gas. Only when telemetry is
// on; every measured kind each block (at most maxPaceKinds, all of them
// message types the codec registers), so that none expires while its pace
// stands.
func (p *execPace) report(maxExec time.Duration) {
	if !telemetry.IsTelemetryEnabled() {
		return
	}
	ns := p.nsPerGas()
	telemetry.SetGauge(float32(ns), "aichain", "proposer", "exec_ns_per_gas")
	telemetry.SetGauge(float32(budgetAt(maxExec, ns)), "aichain", "proposer", "exec_budget_gas")
	ps, ok := p.snapshot()
	if !ok {
		return
	}
	for kind, ns := range ps.kinds {
		telemetry.SetGaugeWithLabels([]string{"aichain", "proposer", "exec_ns_per_gas_by_kind"}, float32(ns),
			[]metrics.Label{telemetry.NewLabel("msg", kindName(kind))})
	}
}

// kindName is kind's message type URL ("/cosmos.bank.v1beta1.MsgSend"),
// "none" for a transaction without messages.
func kindName(kind paceKind) string {
	if kind == nil {
		return "none"
	}
	if kind.Kind() == reflect.Pointer {
		if msg, ok := reflect.New(kind.Elem()).Interface().(sdk.Msg); ok {
			return sdk.MsgTypeURL(msg)
		}
	}
	return kind.String()
}

// timed wraps the ante handler so that the pace sees each transaction of a
// block being finalized start (txStart): its kind's time runs until the
// next one starts or the end-blockers do.
func (p *execPace) timed(next sdk.AnteHandler) sdk.AnteHandler {
	return func(ctx sdk.Context, tx sdk.Tx, simulate bool) (sdk.Context, error) {
		if !simulate && ctx.ExecMode() == sdk.ExecModeFinalize {
			t := gasKindOf(tx)
			p.txStart(time.Now(), t.kind, t.gas)
			newCtx, err := next(ctx, tx, simulate)
			if err != nil {
				p.txFailed()
			}
			return newCtx, err
		}
		return next(ctx, tx, simulate)
	}
}

// FinalizeBlock executes a block (BaseApp's FinalizeBlock) and hands how
// long it took to the proposer's pace and the block's log line, and its
// height and time to the signature precheck (checkTxGate).
func (app *App) FinalizeBlock(req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	start := time.Now()
	app.blocks.mark(func(h *heightTimes) { h.finalizeBegin(start, req.Height, len(req.Txs)) })
	res, err := app.BaseApp.FinalizeBlock(req)
	if err == nil && res != nil {
		app.precheck.block(req.Height, req.Time) // the timeouts CheckTx checks from the commit on
		end := time.Now()
		app.pace.finalized(end.Sub(start))
		app.blocks.mark(func(h *heightTimes) { h.finalized(end, res) })
	}
	return res, err
}

// Commit commits the finalized block (BaseApp's Commit), adds the block
// to the proposer's pace and logs where its time went (blockLog).
func (app *App) Commit() (*abci.ResponseCommit, error) {
	start := time.Now()
	app.blocks.mark(func(h *heightTimes) { h.commitStart = start })
	res, err := app.BaseApp.Commit()
	if err == nil {
		end := time.Now()
		app.pace.committed(end.Sub(start))
		app.pace.report(app.proposer.MaxExecTime)
		app.blocks.committed(end)
		app.room.committed()
	}
	return res, err
}
