package provider

import (
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackTricklingDatasetServerHoldsTheWorkers wins as many hostile jobs
// as the agent has workers. A requester who won as many as it has fetchers
// (2 × workers by default: 4 on the CPU, 2 on a GPU) holds every fetcher —
// each fetch may last the fetch policy's Timeout (2 minutes), then it is
// retried 3 blocks later — and every other won job, even a gemm job with no
// input to fetch at all, waits in the one FIFO queue behind them while the
// workers idle: past its execution window on any chain where exec_blocks ×
// block time is under the stall, and the provider's collateral is slashed.
// Now a fetcher reads each queued job from the chain and routes it: a job
// that needs no inputs goes straight to a worker, and fetches run in slots
// of their own (at most half of them for one requester's jobs), so stalled
// fetches hold slots, never the jobs queued behind them (fetch.go).
// Nothing here times a job: the hostile fetches never end in this test, and
// the state the agent settles in is checked.
func TestAttackStalledFetchersStarveJobsWithoutInputs(t *testing.T) {
	a := testAgent(t)
	a.backend = cpu.New()
	a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
	a.cfg.MLP = stallingDataset{fakeMLP{model: &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}}}
	jobs := map[uint64]computetypes.Job{}
	hostile := uint64(a.cfg.Fetchers)
	for id := uint64(1); id <= hostile; id++ {
		j := mlpBidJob(id)
		j.Workload.Mlp.DatasetId = 66 // its owner's server trickles
		jobs[id] = j
		a.recs[id] = &Record{ID: id, Phase: PhaseWon, Deadline: 130 + int64(id)}
	}
	honest := hostile + 1
	jobs[honest] = gemmJob(honest, 16, 40)
	a.recs[honest] = &Record{ID: honest, Phase: PhaseWon, Deadline: 140}
	a.query = jobsOnChain{jobs: jobs}

	runPools(t, a, a.cfg.Workers)
	a.dispatch()

	// Settle: either the honest job is done, or every fetcher is held.
	fetching := func() float64 { return fetchesInFlight(t, a) }
	for wait := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		select {
		case res := <-a.doneCh:
			if res.id == honest && res.err == nil {
				return
			}
			t.Fatalf("outcome of job %d: %v", res.id, res.err)
		default:
		}
		if fetching() == float64(a.cfg.Fetchers) && len(a.execCh) == 1 {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("setup: %v fetches in flight, %d jobs queued", fetching(), len(a.execCh))
		}
	}
	t.Fatalf("every one of the %d fetchers is held by a hostile job's dataset fetch and the %d workers idle, while the honest gemm job %d "+
		"(no model, no dataset: nothing to fetch) waits in the fetch queue behind them (%d queued): it runs only when a hostile fetch gives up "+
		"(the fetch Timeout, 2 minutes by default, then retried every 3 blocks), past a short execution window",
		a.cfg.Fetchers, a.cfg.Workers, honest, len(a.execCh))
}
