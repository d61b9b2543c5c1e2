package app

import (
	"math"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// measure runs one block through p as FinalizeBlock and Commit do: its
// FinalizeBlock takes txs, its Commit commit, and they ask for gas in all
// (split over two results of no kind, each taking half the time, with an
// injected tx of no gas).
func measure(p *execPace, txs, commit time.Duration, gas uint64) {
	start := time.Unix(1_800_000_000, 0)
	p.txsBegin(start)
	p.txStart(start, nil, gas/2)
	p.txStart(start.Add(txs/2), nil, gas-gas/2)
	p.txsEnd(start.Add(txs))
	p.finalized(&abci.ResponseFinalizeBlock{TxResults: []*abci.ExecTxResult{
		{GasWanted: 0}, {GasWanted: int64(gas / 2)}, {GasWanted: int64(gas - gas/2)},
	}}, txs)
	p.committed(commit)
}

// The pace is the blocks' time over their gas, each block weighted by its
// gas and decaying: a large block counts for more than a small one, a
// recent one for more than an old one.
func TestExecPaceWeighsBlocksByGas(t *testing.T) {
	p := &execPace{}
	if p.nsPerGas() != 0 || budgetAt(time.Second, p.nsPerGas()) != 0 {
		t.Fatal("a node that has measured nothing has no pace and no budget")
	}
	measure(p, 900*time.Microsecond, 100*time.Microsecond, 100_000) // 10 ns/gas
	if got := p.nsPerGas(); got != 10 {
		t.Fatalf("pace %v ns/gas after one block of 1 ms for 100,000 gas, want 10", got)
	}
	if got := budgetAt(time.Millisecond, p.nsPerGas()); got != 100_000 {
		t.Fatalf("budget for 1 ms %d, want 100,000", got)
	}
	// A small slow block (100 ns/gas on 1,000 gas) moves it little.
	measure(p, 100*time.Microsecond, 0, 1_000)
	want := (1e6*paceDecay + 1e5) / (1e5*paceDecay + 1e3)
	if got := p.nsPerGas(); math.Abs(got-want) > 1e-9 || got > 12 {
		t.Fatalf("pace %v after a small slow block, want %v (under 12)", got, want)
	}
	// Large blocks at 20 ns/gas take it there within a few blocks.
	for range 12 {
		measure(p, 2*time.Millisecond, 0, 100_000)
	}
	if got := p.nsPerGas(); got < 19.5 || got > 20 {
		t.Fatalf("pace %v after 12 blocks at 20 ns/gas, want within 19.5-20", got)
	}
}

// A block without gas (an idle chain's blocks) leaves the pace where the
// last busy blocks put it; so does a block FinalizeBlock gave no time for.
func TestExecPaceKeepsItsEstimateWhenIdle(t *testing.T) {
	p := &execPace{}
	measure(p, time.Millisecond, 0, 100_000)
	for range 1_000 {
		measure(p, 50*time.Microsecond, 20*time.Microsecond, 0)
	}
	if got := p.nsPerGas(); got != 10 {
		t.Fatalf("pace %v after 1,000 empty blocks, want 10", got)
	}
	p.finalized(&abci.ResponseFinalizeBlock{TxResults: []*abci.ExecTxResult{{GasWanted: 5}}}, 0)
	p.committed(time.Hour)
	if got := p.nsPerGas(); got != 10 {
		t.Fatalf("pace %v after a block of no time, want 10", got)
	}
	var none *execPace
	none.txsBegin(time.Now())
	none.committed(time.Second)
	if _, ok := none.snapshot(); ok || none.nsPerGas() != 0 {
		t.Fatal("a nil pace gives no pace")
	}
}

// Gas limits of the block's results are summed without wrapping, and a
// negative gas_wanted (not from this app, but an int64) is ignored.
func TestExecPaceGasSumSaturates(t *testing.T) {
	p := &execPace{}
	start := time.Unix(1_800_000_000, 0)
	p.txsBegin(start)
	p.txsEnd(start.Add(time.Second))
	p.finalized(&abci.ResponseFinalizeBlock{TxResults: []*abci.ExecTxResult{
		{GasWanted: math.MaxInt64}, {GasWanted: math.MaxInt64}, {GasWanted: math.MaxInt64}, {GasWanted: -5}, nil,
	}}, time.Second)
	p.committed(0)
	if got := budgetAt(time.Second, p.nsPerGas()); got != math.MaxUint64 {
		t.Fatalf("budget %d, want the largest uint64 (a second for a saturated gas sum)", got)
	}
}
