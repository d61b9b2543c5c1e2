package app_test

import (
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/aichain/aichain/app/apptesting"
)

// BenchmarkProposalHandlers times what a loaded block's proposal costs on
// the critical path, after timeout_commit: the proposer's PrepareProposal
// of 2,000 bank sends (with max-exec-time 0, the gas and byte limits only)
// and ProcessProposal of the proposal, which every validator runs before it
// prevotes; in ms per proposal. The sends were admitted by this node's
// CheckTx, as a mempool's are (prepare-ms); prepare-unseen-ms is the same
// proposal of 2,000 sends it has not checked (each decoded), in the same
// rounds.
//
//	go test ./app -run '^$' -bench ProposalHandlers -benchtime 20x
func BenchmarkProposalHandlers(b *testing.B) {
	const n = 2000
	ta := apptesting.SetupWithOptions(b, 2, map[string]any{"proposer.max-exec-time": "0s"})
	// 40,000 gas each: 2,000 fit the block's gas limit (a proposal does not
	// execute them).
	checked := sendsGas(b, ta, n, 40_000)
	for i, bz := range checked {
		if err := checkTx(ta, bz); err != nil {
			b.Fatalf("tx %d: %v", i, err)
		}
	}
	unseen := sendsGas(b, ta, 2*n, 40_000)[n:] // sequences the check state has not reached
	var prepare, unseenPrepare, process time.Duration
	timed := func(txs [][]byte) ([][]byte, time.Duration) {
		start := time.Now()
		got := propose(b, ta, txs)
		took := time.Since(start)
		if len(got) != n {
			b.Fatalf("proposal of %d txs, want %d", len(got), n)
		}
		return got, took
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, took := timed(unseen)
		unseenPrepare += took
		txs, took := timed(checked)
		prepare += took
		start := time.Now()
		pr, err := ta.ProcessProposal(&abci.RequestProcessProposal{
			Height: ta.Ctx.BlockHeight(), Time: ta.Ctx.BlockTime(), Txs: txs,
		})
		if err != nil || pr.Status != abci.ResponseProcessProposal_ACCEPT {
			b.Fatalf("proposal not accepted: %v %v", pr, err)
		}
		process += time.Since(start)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(prepare.Microseconds())/1000/float64(b.N), "prepare-ms")
	b.ReportMetric(float64(unseenPrepare.Microseconds())/1000/float64(b.N), "prepare-unseen-ms")
	b.ReportMetric(float64(process.Microseconds())/1000/float64(b.N), "process-ms")
}
