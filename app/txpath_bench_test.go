package app_test

import (
	"context"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
)

// BenchmarkTxPath measures each aichain message kind's full transaction
// path in the real app, as a node runs it: CheckTx of every transaction
// (decode, ante: fees, signature verification), then FinalizeBlock and
// Commit of a block that holds them (ante again and the message), then
// one empty block (so that work a kind leaves to the next block, such as a
// submitted result's sampling draw, counts). Transactions are signed before
// the clock starts. Each round runs a block of bank sends and a block of
// the kind, one transaction per account, on the same app; the metrics are
// per transaction: µs/tx (wall), cpu-µs/tx (the process's CPU time, which
// other work on a shared machine does not inflate), allocs/tx and gas/tx of
// the kind, and x-send, the kind's CPU time over the bank sends' in the
// same rounds (the target is x-send ≤ 1.11, i.e. ≥ 0.9 × bank
// send's rate on a CPU-bound node). Ratios, not absolute times, are what
// carry over between runs; gas and allocations are exact. attrs/tx,
// events/tx and bytes/tx are what the node's tx indexer and block store
// write for each; keys/tx and send-keys/tx the distinct store keys a round's
// blocks write or delete, over its transactions (one more round of each,
// untimed: see keysPerTx); TXBENCH_DUMP=1 logs the events of each round's first
// transaction. The timed part runs under the pprof label txpath=send or
// txpath=KIND, so a CPU profile can leave out the untimed preparation and
// put a kind beside the sends of the same rounds (profile one kind a run:
// the sends of a run are all its kinds'; filter both sides before the diff,
// since a -tagfocus given with -diff_base filters the base too and leaves
// nothing of it):
//
//	go test ./app -run '^$' -bench TxPath -benchtime 5x
//	go test ./app -run '^$' -bench 'TxPath/^create-job$' -benchtime 20x -cpuprofile cpu.out
//	go tool pprof -proto -tagfocus 'txpath=^send$' cpu.out > send.pb
//	go tool pprof -proto -tagfocus 'txpath=^create-job$' cpu.out > kind.pb
//	go tool pprof -top -cum -diff_base send.pb kind.pb
func BenchmarkTxPath(b *testing.B) {
	for _, k := range txKinds() {
		b.Run(k.name, func(b *testing.B) {
			tb := newTxBench(b, txBenchAccounts)
			state := k.setup(tb)
			var kind, send txCost
			for i := 0; i < b.N; i++ {
				send.add(tb.runAs("send", tb.sign(sendRound(tb))))
				kind.add(tb.runAs(k.name, tb.sign(k.round(tb, state, i))))
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(kind.usPerTx(), "µs/tx")
			b.ReportMetric(kind.cpuUsPerTx(), "cpu-µs/tx")
			b.ReportMetric(kind.allocsPerTx(), "allocs/tx")
			b.ReportMetric(float64(kind.gas)/float64(kind.n), "gas/tx")
			b.ReportMetric(float64(kind.attrs)/float64(kind.n), "attrs/tx")
			b.ReportMetric(float64(kind.events)/float64(kind.n), "events/tx")
			b.ReportMetric(float64(kind.bytes)/float64(kind.n), "bytes/tx")
			b.ReportMetric(send.cpuUsPerTx(), "send-cpu-µs/tx")
			b.ReportMetric(kind.cpuUsPerTx()/send.cpuUsPerTx(), "x-send")
			sendKeys, kindKeys := tb.keysPerTx(sendRound(tb)), tb.keysPerTx(k.round(tb, state, b.N))
			b.ReportMetric(kindKeys, "keys/tx")
			b.ReportMetric(sendKeys, "send-keys/tx")
		})
	}
}

// txBenchAccounts is the number of accounts, and of transactions a block:
// 40, or TXBENCH_ACCOUNTS (a node under load makes blocks of 1,000–2,000
// transactions; work that grows with the block's writes shows there).
var txBenchAccounts = benchAccountsFromEnv()

// txKind is a measured kind: setup prepares state once (untimed); round
// returns the messages of round i, one per account, in account order, after
// preparing what they need (untimed).
type txKind struct {
	name  string
	setup func(tb *txBench) any
	round func(tb *txBench, state any, i int) []sdk.Msg
}

type txBench struct {
	b      *testing.B
	ta     *apptesting.TestApp
	accNum []uint64
	seq    []uint64
	rng    *rand.Rand
}

func newTxBench(b *testing.B, n int) *txBench {
	b.StopTimer()
	return newTxBenchOn(b, apptesting.Setup(b, n))
}

// newTxBenchOn is newTxBench on an app already set up.
func newTxBenchOn(b *testing.B, ta *apptesting.TestApp) *txBench {
	b.StopTimer()
	tb := &txBench{b: b, ta: ta, rng: rand.New(rand.NewSource(1))}
	for _, a := range ta.Accounts {
		acc := ta.AccountKeeper.GetAccount(ta.Ctx, a.Address)
		tb.accNum = append(tb.accNum, acc.GetAccountNumber())
		tb.seq = append(tb.seq, acc.GetSequence())
	}
	return tb
}

func (tb *txBench) addr(i int) string { return tb.ta.Accounts[i%len(tb.ta.Accounts)].Address.String() }

func (tb *txBench) repeat(f func(j int) sdk.Msg) []sdk.Msg {
	msgs := make([]sdk.Msg, len(tb.ta.Accounts))
	for j := range msgs {
		msgs[j] = f(j)
	}
	return msgs
}

// sign signs msgs[j] from account j (its single signer), with the account's
// next sequence.
func (tb *txBench) sign(msgs []sdk.Msg) [][]byte { return tb.signGas(msgs, 5_000_000) }

// signGas is sign with gas limit gas.
func (tb *txBench) signGas(msgs []sdk.Msg, gas uint64) [][]byte {
	cfg := tb.ta.TxConfig()
	out := make([][]byte, len(msgs))
	for j, m := range msgs {
		tx, err := simtestutil.GenSignedMockTx(tb.rng, cfg, []sdk.Msg{m}, sdk.Coins{}, gas,
			apptesting.ChainID, []uint64{tb.accNum[j]}, []uint64{tb.seq[j]}, tb.ta.Accounts[j].Priv)
		if err != nil {
			tb.b.Fatal(err)
		}
		tb.seq[j]++
		if out[j], err = cfg.TxEncoder()(tx); err != nil {
			tb.b.Fatal(err)
		}
	}
	return out
}

// txCost is the time and allocations of measured transactions.
type txCost struct {
	d      time.Duration // wall time
	cpu    time.Duration // the process's CPU time (user + system)
	allocs uint64
	gas    int64
	n      int
	events int // events in the transactions' results
	attrs  int // their attributes: what the node's tx indexer writes
	bytes  int // encoded transactions
}

func (c *txCost) add(o txCost) {
	c.d, c.cpu, c.allocs, c.gas, c.n = c.d+o.d, c.cpu+o.cpu, c.allocs+o.allocs, c.gas+o.gas, c.n+o.n
	c.events, c.attrs, c.bytes = c.events+o.events, c.attrs+o.attrs, c.bytes+o.bytes
}

func (c txCost) usPerTx() float64 { return float64(c.d.Microseconds()) / float64(c.n) }

func (c txCost) cpuUsPerTx() float64 { return float64(c.cpu.Microseconds()) / float64(c.n) }

// cpuTime is the process's user + system CPU time so far: unlike wall time,
// it does not count the time the process waits for a core that other work
// holds (the development machine is shared).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c txCost) allocsPerTx() float64 { return float64(c.allocs) / float64(c.n) }

// run is the timed part: CheckTx of each tx, the block that holds them, and
// an empty block. Every tx must succeed.
func (tb *txBench) run(txs [][]byte) txCost {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start, startCPU := time.Now(), cpuTime()
	for _, tx := range txs {
		res, err := tb.ta.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
		if err != nil || res.Code != 0 {
			tb.b.Fatalf("CheckTx: %v %s", err, res.GetLog())
		}
	}
	results := tb.ta.NextBlockWithTxs(txs)
	tb.ta.NextBlockWithTxs(nil)
	d, cpu := time.Since(start), cpuTime()-startCPU
	runtime.ReadMemStats(&m1)
	c := txCost{d: d, cpu: cpu, allocs: m1.Mallocs - m0.Mallocs, n: len(txs)}
	for i, r := range results {
		if r.Code != 0 {
			tb.b.Fatalf("tx %d failed: %s", i, r.Log)
		}
		c.gas += r.GasUsed
		c.bytes += len(txs[i])
		c.events += len(r.Events)
		for _, e := range r.Events {
			c.attrs += len(e.Attributes)
			if i == 0 && os.Getenv("TXBENCH_DUMP") != "" {
				tb.b.Logf("%s %v", e.Type, e.Attributes)
			}
		}
	}
	return c
}

func sendRound(tb *txBench) []sdk.Msg {
	return tb.repeat(func(j int) sdk.Msg { return sendMsg(tb, j) })
}

// keysPerTx runs msgs, untimed, as run does (their block and an empty one)
// and returns the distinct store keys those blocks wrote or deleted, per
// transaction: the leaves Commit hashes into the IAVL trees, exact where
// the times are not. It leaves the app's stores listened to (a listener
// cannot be removed), so it comes after the timed rounds.
func (tb *txBench) keysPerTx(msgs []sdk.Msg) float64 {
	cms := tb.ta.CommitMultiStore()
	cms.AddListeners(tb.ta.KVStoreKeys())
	cms.PopStateCache()
	tb.run(tb.sign(msgs))
	keys := map[string]bool{}
	for _, p := range cms.PopStateCache() {
		keys[p.StoreKey+"/"+string(p.Key)] = true
	}
	return float64(len(keys)) / float64(len(msgs))
}

// runAs is run under the pprof label txpath=label.
func (tb *txBench) runAs(label string, txs [][]byte) (c txCost) {
	pprof.Do(context.Background(), pprof.Labels("txpath", label), func(context.Context) { c = tb.run(txs) })
	return c
}

// benchAccountsFromEnv is TXBENCH_ACCOUNTS if it is a positive number, else 40.
func benchAccountsFromEnv() int {
	if v, err := strconv.Atoi(os.Getenv("TXBENCH_ACCOUNTS")); err == nil && v > 0 {
		return v
	}
	return 40
}
