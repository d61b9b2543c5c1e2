package app

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// paceTx is a transaction as the pace sees it: its kind, its gas limit,
// how long it runs, and whether its ante handler refused it.
type paceTx struct {
	kind    paceKind
	gas     uint64
	took    time.Duration
	refused bool
}

// runBlock runs one block through p as FinalizeBlock and Commit do: txs one
// after the other (FinalizeBlock takes their time), then a Commit of
// commit.
func runBlock(p *execPace, commit time.Duration, txs ...paceTx) {
	start := time.Unix(1_800_000_000, 0)
	p.txsBegin(start)
	at := start
	for _, tx := range txs {
		p.txStart(at, tx.kind, tx.gas)
		if tx.refused {
			p.txFailed()
		}
		at = at.Add(tx.took)
	}
	p.txsEnd(at)
	p.finalized(at.Sub(start))
	p.committed(commit)
}

// measure runs one block through p: its FinalizeBlock takes txs, its Commit
// commit, and its transactions ask for gas in all (two of no kind, each
// taking half the time).
func measure(p *execPace, txs, commit time.Duration, gas uint64) {
	runBlock(p, commit, paceTx{nil, gas / 2, txs / 2, false}, paceTx{nil, gas - gas/2, txs - txs/2, false})
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
	p.txsBegin(time.Now())
	p.txStart(time.Now(), nil, 5)
	p.txsEnd(time.Now())
	p.finalized(0)
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

// A transaction its ante handler refuses in a block (a stale sequence, a
// bad signature) pays no fee: a flood of them asking for much gas, refused
// quickly, must not make the node's pace look fast (its proposals would
// then overrun max-exec-time). Their time counts; their gas does not.
func TestAttackPaceLoweredByFreeRefusedTxs(t *testing.T) {
	p := &execPace{}
	kind := paceKind(reflect.TypeOf(&banktypes.MsgSend{}))
	refuse := errors.New("account sequence mismatch")
	bad := func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return ctx, refuse }
	ctx := sdk.Context{}.WithExecMode(sdk.ExecModeFinalize)
	block := func(good, refused int) {
		var txs []paceTx
		for i := range good + refused {
			if i < good {
				txs = append(txs, paceTx{kind, 100_000, 100 * time.Microsecond, false})
			} else {
				txs = append(txs, paceTx{kind, 50_000_000, 100 * time.Microsecond, true})
			}
		}
		runBlock(p, 0, txs...)
	}
	block(10, 0) // 10 sends of 100,000 gas in 1 ms: 1 ns per gas
	before, _ := p.snapshot()
	block(10, 1_000)
	after, _ := p.snapshot()
	if after.of(kind) < before.of(kind) || p.nsPerGas() < 1 {
		t.Fatalf("refused txs of 50,000,000 gas lowered the pace: %v → %v ns/gas (overall %v)", before.of(kind), after.of(kind), p.nsPerGas())
	}
	// Through the ante wrapper: a refused tx's gas is dropped.
	wrapped := p.timed(bad)
	p.txsBegin(time.Now())
	if _, err := wrapped(ctx, kindTx{&banktypes.MsgSend{}, 50_000_000}, false); !errors.Is(err, refuse) {
		t.Fatalf("the wrapper changed the ante's error: %v", err)
	}
	if p.runningGas != 0 {
		t.Fatalf("a refused tx kept its gas limit %d in the pace", p.runningGas)
	}
}
