package app_test

import (
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/aichain/aichain/app/apptesting"
)

// BenchmarkProposalHandlers times what a loaded block's proposal costs on
// the critical path, after timeout_commit: the proposer's PrepareProposal
// of 2,000 bank sends (each decoded for its gas and kind; with max-exec-time
// 0, the gas and byte limits only) and ProcessProposal of the proposal,
// which every validator runs before it prevotes; in ms per proposal.
//
//	go test ./app -run '^$' -bench ProposalHandlers -benchtime 20x
func BenchmarkProposalHandlers(b *testing.B) {
	const n = 2000
	ta := apptesting.SetupWithOptions(b, 2, map[string]any{"proposer.max-exec-time": "0s"})
	// 40,000 gas each: 2,000 fit the block's gas limit (a proposal does not
	// execute them).
	txs := sendsGas(b, ta, n, 40_000)
	var prepare, process time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := ta.PrepareProposal(&abci.RequestPrepareProposal{
			Height: ta.Ctx.BlockHeight(), Time: ta.Ctx.BlockTime(), MaxTxBytes: 1 << 24, Txs: txs,
		})
		if err != nil || len(res.Txs) != n {
			b.Fatalf("proposal of %d txs (%v), want %d", len(res.GetTxs()), err, n)
		}
		prepare += time.Since(start)
		start = time.Now()
		pr, err := ta.ProcessProposal(&abci.RequestProcessProposal{
			Height: ta.Ctx.BlockHeight(), Time: ta.Ctx.BlockTime(), Txs: res.Txs,
		})
		if err != nil || pr.Status != abci.ResponseProcessProposal_ACCEPT {
			b.Fatalf("proposal not accepted: %v %v", pr, err)
		}
		process += time.Since(start)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(prepare.Microseconds())/1000/float64(b.N), "prepare-ms")
	b.ReportMetric(float64(process.Microseconds())/1000/float64(b.N), "process-ms")
}
