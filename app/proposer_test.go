package app

import (
	"context"
	"math"
	"testing"
	"time"

	protov2 "google.golang.org/protobuf/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"
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
