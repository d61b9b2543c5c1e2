package app

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"

	protov2 "google.golang.org/protobuf/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// gasTx is a transaction that only says its gas limit.
type gasTx uint64

func (gasTx) GetMsgs() []sdk.Msg                    { return nil }
func (gasTx) GetMsgsV2() ([]protov2.Message, error) { return nil, nil }
func (g gasTx) GetGas() uint64                      { return uint64(g) }

// selected is how many of n txs of 100 gas each a proposal takes under the
// proposer's maxGas and the consensus limit consensusGas.
func selected(maxGas, consensusGas uint64, n int) int {
	return len(propose(&budgetSelector{cfg: ProposerConfig{MaxGas: maxGas}}, consensusGas, 1<<20, repeat(100, n)...))
}

// repeat is n txs of gas each.
func repeat(gas uint64, n int) []gasTx {
	txs := make([]gasTx, n)
	for i := range txs {
		txs[i] = gasTx(gas)
	}
	return txs
}

// propose runs one proposal of txs through s, as the SDK's proposal
// handler does (in order, until the selector says it is full, then Clear),
// and returns the selected txs' indexes.
func propose(s *budgetSelector, consensusGas, maxBytes uint64, txs ...gasTx) []int {
	all := make([]sdk.Tx, len(txs))
	for i, tx := range txs {
		all[i] = tx
	}
	return proposeTxs(s, consensusGas, maxBytes, all...)
}

// proposeTxs is propose of any txs.
func proposeTxs(s *budgetSelector, consensusGas, maxBytes uint64, txs ...sdk.Tx) []int {
	ctx := context.Background()
	defer s.Clear()
	for i, tx := range txs {
		if s.SelectTxForProposal(ctx, maxBytes, consensusGas, tx, []byte{byte(i), byte(i >> 8)}) {
			break
		}
	}
	var idx []int
	for _, bz := range s.SelectedTxs(ctx) {
		idx = append(idx, int(bz[0])|int(bz[1])<<8)
	}
	return idx
}

// The proposer's budget caps a proposal's gas below the consensus limit;
// the lower of the two wins; 0 leaves the consensus limit alone (with
// block.max_gas = -1 the SDK passes the largest uint64).
func TestProposerGasBudget(t *testing.T) {
	for _, c := range []struct {
		name              string
		maxGas, consensus uint64
		want              int
	}{
		{"budget below an unlimited block", 250, math.MaxUint64, 2},
		{"budget exactly three", 300, math.MaxUint64, 3},
		{"consensus limit lower than the budget", 1_000, 150, 1},
		{"no budget", 0, math.MaxUint64, 10},
		{"no budget, consensus limit", 0, 500, 5},
	} {
		if got := selected(c.maxGas, c.consensus, 10); got != c.want {
			t.Errorf("%s: %d txs selected, want %d", c.name, got, c.want)
		}
	}
}

// A transaction that asks for more gas than the proposer's budget is
// proposed alone, at the head of a block (within the consensus limit),
// rather than never by this validator; after it the budget applies.
func TestProposerBudgetTakesAnyFirstTx(t *testing.T) {
	s := &budgetSelector{cfg: ProposerConfig{MaxGas: 250}}
	if got := propose(s, math.MaxUint64, 1<<20, 1_000, 100, 100); len(got) != 1 || got[0] != 0 {
		t.Fatalf("selected %v, want the 1,000-gas tx alone", got)
	}
	if got := propose(s, 500, 1<<20, 1_000, 100, 100); len(got) != 2 || got[0] != 1 {
		t.Fatalf("selected %v: a tx above the consensus limit must be left out, the next two taken", got)
	}
	// The selector starts every proposal afresh: the same txs give the
	// same proposal.
	if got := propose(s, math.MaxUint64, 1<<20, repeat(100, 5)...); len(got) != 2 {
		t.Fatalf("second proposal selected %v, want 2 txs", got)
	}
}

// Where block.max_gas is -1 a tx may ask for any gas. Two txs whose gas
// limits sum past the largest uint64 must not wrap the proposal's gas
// around to a small number and let the block take more under the budget.
func TestAttackProposerGasSumOverflow(t *testing.T) {
	huge := gasTx(math.MaxUint64 - 10)
	s := &budgetSelector{cfg: ProposerConfig{MaxGas: 1_000}}
	got := propose(s, math.MaxUint64, 1<<20, append([]gasTx{huge, 100, huge}, repeat(100, 20)...)...)
	if len(got) != 1 {
		t.Fatalf("selected %v: after a tx of %d gas the block is full", got, uint64(huge))
	}
	// With no budget the consensus limit is the largest uint64: the sum
	// saturates there and the block is full.
	s = &budgetSelector{}
	got = propose(s, math.MaxUint64, 1<<20, append([]gasTx{huge, huge}, repeat(100, 20)...)...)
	if len(got) != 2 {
		t.Fatalf("selected %v with no budget, want the two large txs and nothing after them", got)
	}
}

// max-exec-time turns the node's measured pace into a budget: the smaller
// of it and max-gas applies; before the node has measured a block with
// transactions there is none.
func TestProposerExecTimeBudget(t *testing.T) {
	pace := &execPace{}
	s := &budgetSelector{cfg: ProposerConfig{MaxExecTime: 10 * time.Microsecond}, pace: pace}
	if got := propose(s, math.MaxUint64, 1<<20, repeat(100, 50)...); len(got) != 50 {
		t.Fatalf("selected %d of 50 txs before any measurement, want all", len(got))
	}
	// 100,000 gas in 1 ms: 10 ns per gas, so 10 µs is 1,000 gas: 10 txs.
	measure(pace, 900*time.Microsecond, 100*time.Microsecond, 100_000)
	if got := propose(s, math.MaxUint64, 1<<20, repeat(100, 50)...); len(got) != 10 {
		t.Fatalf("selected %d txs, want 10 (1,000 gas at 10 ns per gas in 10 µs)", len(got))
	}
	s.cfg.MaxGas = 500
	if got := propose(s, math.MaxUint64, 1<<20, repeat(100, 50)...); len(got) != 5 {
		t.Fatalf("selected %d txs, want 5 (max-gas 500 below the 1,000 of the pace)", len(got))
	}
	s.cfg.MaxGas, s.cfg.MaxExecTime = 0, 0
	if got := propose(s, math.MaxUint64, 1<<20, repeat(100, 50)...); len(got) != 50 {
		t.Fatalf("selected %d txs with max-exec-time 0, want all 50", len(got))
	}
}

// kindTx is a transaction of one message (its kind) and a gas limit.
type kindTx struct {
	msg sdk.Msg
	gas uint64
}

func (t kindTx) GetMsgs() []sdk.Msg                  { return []sdk.Msg{t.msg} }
func (kindTx) GetMsgsV2() ([]protov2.Message, error) { return nil, nil }
func (t kindTx) GetGas() uint64                      { return t.gas }

// kindTxs is n txs of msg's kind, of gas each.
func kindTxs(msg sdk.Msg, gas uint64, n int) []sdk.Tx {
	txs := make([]sdk.Tx, n)
	for i := range txs {
		txs[i] = kindTx{msg, gas}
	}
	return txs
}

// A proposal's time budget counts each transaction at its own kind's
// measured pace: a slow kind fills it with fewer transactions than a fast
// one of the same gas, in the same proposal or apart, and a kind the node
// has not timed yet counts at twice the slowest measured (so that a burst
// of a new kind cannot make a block take several times the budget). The
// first transaction always fits.
func TestProposerTimesEachKind(t *testing.T) {
	pace := &execPace{}
	fast, slow, unseen := &banktypes.MsgSend{}, &banktypes.MsgMultiSend{}, &banktypes.MsgUpdateParams{}
	// One block: 10 fast txs of 100 gas at 10 ns/gas, 10 slow ones at 30
	// ns/gas; Commit adds a tenth to each.
	var txs []paceTx
	for i := range 20 {
		tx := paceTx{reflect.TypeOf(fast), 100, 1_000, false}
		if i%2 == 1 {
			tx = paceTx{reflect.TypeOf(slow), 100, 3_000, false}
		}
		txs = append(txs, tx)
	}
	runBlock(pace, 4_000, txs...) // 40 µs of txs
	ps, ok := pace.snapshot()
	if !ok {
		t.Fatal("no pace after a measured block")
	}
	for _, c := range []struct {
		kind paceKind
		want float64
	}{{reflect.TypeOf(fast), 11}, {reflect.TypeOf(slow), 33}, {reflect.TypeOf(unseen), 66}} {
		if got := ps.of(c.kind); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("pace of %v: %v ns/gas, want %v", c.kind, got, c.want)
		}
	}
	if got := pace.nsPerGas(); math.Abs(got-22) > 1e-6 {
		t.Errorf("overall pace %v ns/gas, want 22", got)
	}

	// 33 µs: 30 fast txs (1,100 ns each), 10 slow ones (3,300 ns), 5 of a
	// kind not measured (6,600 ns).
	s := &budgetSelector{cfg: ProposerConfig{MaxExecTime: 33 * time.Microsecond}, pace: pace}
	for _, c := range []struct {
		name string
		txs  []sdk.Tx
		want int
	}{
		{"fast", kindTxs(fast, 100, 50), 30},
		{"slow", kindTxs(slow, 100, 50), 10},
		{"not measured", kindTxs(unseen, 100, 50), 5},
		{"slow then fast", append(kindTxs(slow, 100, 5), kindTxs(fast, 100, 50)...), 5 + 15},
		{"one above the budget first", kindTxs(slow, 100_000, 3), 1},
	} {
		if got := proposeTxs(s, math.MaxUint64, 1<<20, c.txs...); len(got) != c.want {
			t.Errorf("%s: selected %d txs, want %d", c.name, len(got), c.want)
		}
	}
}

// A kind keeps its pace through blocks that do not hold it (an idle kind
// is not forgotten, nor pulled toward the others), and a transaction
// without gas (the injected verdicts) gives its kind no pace.
func TestExecPaceKeepsEachKind(t *testing.T) {
	pace := &execPace{}
	a, b, injected := paceKind(reflect.TypeOf(&banktypes.MsgSend{})), paceKind(reflect.TypeOf(&banktypes.MsgMultiSend{})), paceKind(reflect.TypeOf(&banktypes.MsgUpdateParams{}))
	block := func(kind paceKind, ns time.Duration) {
		runBlock(pace, 0, paceTx{injected, 0, ns, false}, paceTx{kind, 1_000, ns, false})
	}
	// Each block: the injected tx, then one of the kind, each taking ns;
	// the injected tx's time goes to the kind.
	block(a, 10_000) // 20 ns/gas
	for range 20 {
		block(b, 50_000) // 100 ns/gas
	}
	ps, _ := pace.snapshot()
	if got := ps.of(a); got != 20 {
		t.Fatalf("kind a: %v ns/gas after 20 blocks without it, want 20", got)
	}
	if got := ps.of(b); math.Abs(got-100) > 1e-9 {
		t.Fatalf("kind b: %v ns/gas, want 100", got)
	}
	if _, ok := ps.kinds[injected]; ok {
		t.Fatal("the gasless injected tx's kind has a pace")
	}
	// Outside a block's transactions (CheckTx, or after the end-blockers)
	// txStart times nothing.
	pace.txStart(time.Now(), injected, 1_000)
	pace.txsEnd(time.Now())
	if pace.block != nil || !pace.runningSince.IsZero() {
		t.Fatal("txStart outside a block's transactions timed something")
	}
}

// The pace's kinds are bounded: past maxPaceKinds a new kind counts only
// in the overall pace.
func TestExecPaceKindsBounded(t *testing.T) {
	pace := &execPace{}
	txs := make([]paceTx, maxPaceKinds+10)
	for i := range txs {
		txs[i] = paceTx{reflect.ArrayOf(i, reflect.TypeOf(byte(0))), 100, time.Microsecond, false}
	}
	runBlock(pace, 0, txs...)
	if len(pace.kinds) != maxPaceKinds {
		t.Fatalf("%d kinds, want at most %d", len(pace.kinds), maxPaceKinds)
	}
	if got := pace.nsPerGas(); got != 10 {
		t.Fatalf("overall pace %v, want 10 (every tx counts there)", got)
	}
}

// The ante handler times a transaction only when a block is finalized:
// not in CheckTx, simulation or a proposal's checks.
func TestPaceTimesOnlyFinalizedTxs(t *testing.T) {
	pace := &execPace{}
	calls := 0
	ante := pace.timed(func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { calls++; return ctx, nil })
	tx := kindTx{&banktypes.MsgSend{}, 100}
	pace.txsBegin(time.Now())
	for _, mode := range []sdk.ExecMode{sdk.ExecModeCheck, sdk.ExecModeReCheck, sdk.ExecModeSimulate, sdk.ExecModePrepareProposal, sdk.ExecModeProcessProposal} {
		if _, err := ante(sdk.Context{}.WithExecMode(mode), tx, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ante(sdk.Context{}.WithExecMode(sdk.ExecModeFinalize), tx, true); err != nil {
		t.Fatal(err)
	}
	if !pace.runningSince.IsZero() {
		t.Fatal("a transaction outside FinalizeBlock (or simulated) was timed")
	}
	if _, err := ante(sdk.Context{}.WithExecMode(sdk.ExecModeFinalize), tx, false); err != nil {
		t.Fatal(err)
	}
	if pace.running != reflect.TypeOf(tx.msg) || pace.runningGas != 100 || calls != 7 {
		t.Fatalf("finalized tx: running %v gas %d, %d calls", pace.running, pace.runningGas, calls)
	}
}
