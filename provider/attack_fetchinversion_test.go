package provider

import (
	"context"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// gatedGemm is a backend whose gemm products (K = 64, gemmJob's) each wait
// for a token on release, after saying so on started: a long execution the
// test ends when it chooses. Other products (an mlp's, In = 2) run at once.
type gatedGemm struct {
	workload.Backend
	started chan struct{}
	release chan struct{}
}

func (g gatedGemm) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) ([]float32, error) {
	if in == 64 {
		g.started <- struct{}{}
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Backend.Dense(ctx, x, rows, in, w, bias, out, relu)
}

// TestAttackLoadedLateJobsHoldTheFetchSlotsOfAnEarlierOne (found by review):
// a fetched job waits for a worker in its fetch slot (handOff: it holds its
// inputs in memory), and the workers take the ready job due first among the
// jobs already fetched. A hostile requester, from two addresses (half the
// slots each), wins as many mlp jobs as the agent has fetch slots, due late
// (long windows, which admission plans last), while the workers are busy:
// they load and wait, holding every slot. An honest mlp job due much
// earlier, awarded next, waits for a slot; when a worker frees, it takes a
// hostile job, the only kind loaded, and the honest job's slot comes only
// then: it runs after a whole hostile execution that admission planned
// after it. Admission (schedule.go) promised earliest deadline first; with
// the hostile job's estimate over the honest window's unplanned half (the
// slack --safety leaves), the honest job misses its deadline and its
// collateral is slashed for a timeout.
func TestAttackLoadedLateJobsHoldTheFetchSlotsOfAnEarlierOne(t *testing.T) {
	a := testAgent(t)
	gate := gatedGemm{Backend: cpu.New(), started: make(chan struct{}, 8), release: make(chan struct{})}
	a.backend = gate
	a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	rows := make([]float32, 23*2)
	ds := &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}, Description: &dataset.Description{Matrix: &workload.Matrix{Rows: 23, Cols: 2, Data: rows}}}
	a.cfg.MLP = fakeMLP{model: model, ds: ds}
	jobs := map[uint64]computetypes.Job{}
	a.query = &jobsOnChain{jobs: jobs}
	win := func(j computetypes.Job, deadline int64) {
		j.ExecDeadline = deadline
		jobs[j.Id] = j
		a.recs[j.Id] = &Record{ID: j.Id, Requester: j.Requester, Phase: PhaseWon, Deadline: deadline}
	}

	runPools(t, a, a.cfg.Workers)
	// The workers are busy: one long job each (gemm, nothing to fetch).
	var id uint64
	for i := 0; i < a.cfg.Workers; i++ {
		id++
		win(gemmJob(id, 16, 400), 500)
	}
	a.dispatch()
	for i := 0; i < a.cfg.Workers; i++ {
		select {
		case <-gate.started:
		case <-time.After(20 * time.Second):
			t.Fatal("setup: the long jobs did not start")
		}
	}
	// The attacker's jobs, due late, each on a dataset of its own.
	var hostile []uint64
	for i := 0; i < a.cfg.Fetchers; i++ {
		id++
		j := mlpBidJob(id)
		j.Requester = []string{"aic1mallory1", "aic1mallory2"}[i%2]
		j.Workload.Mlp.DatasetId = 100 + id
		win(j, 490)
		hostile = append(hostile, id)
	}
	a.dispatch()
	fetching := func() float64 { return fetchesInFlight(t, a) }
	settle := func(ready, waiting int) {
		t.Helper()
		for wait := time.Now().Add(20 * time.Second); a.ready.len() != ready || a.fetches.len() != waiting || fetching() != 0; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(wait) {
				t.Fatalf("setup: %d ready, %d waiting for a slot, %v loading; want %d, %d, 0", a.ready.len(), a.fetches.len(), fetching(), ready, waiting)
			}
		}
	}
	settle(len(hostile), 0)
	// The honest requester's job, due much earlier, is awarded next.
	id++
	honest := id
	win(mlpBidJob(honest), 150)
	a.dispatch()
	settle(len(hostile), 1) // one job waits for a slot: the honest one, or a hostile one that yielded its slot to it

	gate.release <- struct{}{} // one worker frees
	var order []uint64
	for len(order) < 2 {
		select {
		case res := <-a.doneCh:
			if res.err != nil {
				t.Fatalf("job %d failed: %v", res.id, res.err)
			}
			order = append(order, res.id)
		case <-time.After(20 * time.Second):
			t.Fatalf("only %v ran after a worker freed", order)
		}
	}
	if order[1] != honest {
		t.Fatalf("the freed worker ran the attacker's job %d (due at %d) before the honest job %d (due at %d): "+
			"the %d fetch slots were held by the attacker's loaded jobs %v waiting for a worker, and the honest job, "+
			"admitted to run first, waits a whole hostile execution past the schedule admission planned: past its deadline, "+
			"its collateral slashed", order[1], jobs[order[1]].ExecDeadline, honest, jobs[honest].ExecDeadline,
			a.cfg.Fetchers, hostile)
	}
}
