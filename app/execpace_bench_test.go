package app_test

import (
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
)

// BenchmarkProposalPace measures how well a proposer's time budget
// ([proposer] max-exec-time) holds when a kind of transaction the node has
// not executed arrives after blocks of bank sends: the node proposes a
// block of the new kind, executes it, then does so once more. Reported:
// each block's execution (FinalizeBlock and Commit, wall time) over
// max-exec-time (first-x-budget, second-x-budget; 1 is on budget, above it
// the block overran the time it should hide in) and the transactions each
// held. A fresh app each iteration, so that the kind is always new.
//
//	go test ./app -run '^$' -bench ProposalPace -benchtime 3x
func BenchmarkProposalPace(b *testing.B) {
	const (
		accounts = 2000
		maxExec  = 100 * time.Millisecond
		gas      = 300_000
	)
	byName := map[string]txKind{}
	for _, k := range txKinds() {
		byName[k.name] = k
	}
	for _, name := range []string{"register-model", "lock", "purchase-licence", "create-job", "claim-rewards-1-lock"} {
		k := byName[name]
		b.Run(name, func(b *testing.B) {
			var first, second, firstTxs, secondTxs float64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tb := newTxBenchOn(b, apptesting.SetupWithOptions(b, accounts, map[string]any{"proposer.max-exec-time": maxExec.String()}))
				state := k.setup(tb)
				for range 3 { // the node learns its pace on bank sends
					tb.proposeAndRun(tb.signGas(tb.repeat(func(j int) sdk.Msg { return sendMsg(tb, j) }), gas))
				}
				for r, out := range []*float64{&first, &second} {
					d, n := tb.proposeAndRun(tb.signGas(k.round(tb, state, r), gas))
					*out += float64(d) / float64(maxExec)
					if r == 0 {
						firstTxs += float64(n)
					} else {
						secondTxs += float64(n)
					}
				}
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(first/float64(b.N), "first-x-budget")
			b.ReportMetric(second/float64(b.N), "second-x-budget")
			b.ReportMetric(firstTxs/float64(b.N), "first-txs")
			b.ReportMetric(secondTxs/float64(b.N), "second-txs")
		})
	}
}

// proposeAndRun has the app's validator propose a block of txs (signed by
// accounts 0..len-1, one each, in order), executes the block it proposed
// and returns how long FinalizeBlock and Commit took and how many txs the
// block held. The accounts whose txs were left out sign again next time
// at the same sequence.
func (tb *txBench) proposeAndRun(txs [][]byte) (time.Duration, int) {
	res, err := tb.ta.PrepareProposal(&abci.RequestPrepareProposal{
		Height: tb.ta.Ctx.BlockHeight(), Time: tb.ta.Ctx.BlockTime(), MaxTxBytes: 1 << 22, Txs: txs,
	})
	if err != nil {
		tb.b.Fatal(err)
	}
	n := len(res.Txs)
	for i, tx := range res.Txs {
		if string(tx) != string(txs[i]) {
			tb.b.Fatalf("proposal tx %d is not tx %d: the proposal is not a prefix of the txs", i, i)
		}
	}
	for j := n; j < len(txs); j++ {
		tb.seq[j]--
	}
	start := time.Now()
	for i, r := range tb.ta.NextBlockWithTxs(res.Txs) {
		if r.Code != 0 {
			tb.b.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	return time.Since(start), n
}
