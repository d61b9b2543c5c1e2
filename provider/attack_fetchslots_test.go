package provider

import (
	"context"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackFetchSlotsHeldByTwoRequesterAddresses: the fetch slots of won
// jobs are shared out per requester address (fetchesPerRequester, half of
// them), the rule the sizing slots had before
// TestAttackSizingSlotsHeldByTwoRequesterAddresses showed that an address
// costs nothing to multiply. One attacker posts mlp jobs on its own dataset
// (a good model, so they are sized and won; the dataset server answers the
// "served" probe and then trickles the rows) from two addresses, as many as
// the agent has fetchers, and holds every fetch slot for the fetch policy's
// timeout (2 minutes), again and again with its next jobs. An honest
// requester's mlp job on another dataset, awarded next, cannot start its
// fetch at all: it waits behind them toward its deadline, and a provider
// that misses it forfeits the job's collateral. Now one dataset is fetched
// one job at a time: the attacker's four jobs hold one slot.
func TestAttackFetchSlotsHeldByTwoRequesterAddresses(t *testing.T) {
	a := testAgent(t)
	a.backend = cpu.New()
	a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	rows := make([]float32, 23*2)
	for i := range rows {
		rows[i] = float32(i)
	}
	ds := &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}, Description: &dataset.Description{Matrix: &workload.Matrix{Rows: 23, Cols: 2, Data: rows}}}
	a.cfg.MLP = stallingDataset{fakeMLP{model: model, ds: ds}}

	jobs := map[uint64]computetypes.Job{}
	q := &jobsOnChain{jobs: jobs}
	a.query = q
	hostile := uint64(a.cfg.Fetchers)
	for id := uint64(1); id <= hostile; id++ {
		j := mlpBidJob(id)
		j.Requester = []string{"aic1mallory1", "aic1mallory2"}[id%2] // one attacker, two addresses
		j.Workload.Mlp.DatasetId = 66                                // its own server trickles
		jobs[id] = j
		a.recs[id] = &Record{ID: id, Requester: j.Requester, Phase: PhaseWon, Deadline: 130 + int64(id)}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < a.cfg.Workers; i++ {
		go a.worker(ctx)
	}
	for i := 0; i < a.cfg.Fetchers; i++ {
		go a.fetcher(ctx)
	}
	fetching := func() float64 {
		var m dto.Metric
		if err := a.metrics.Fetching.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	a.dispatch()
	// Every hostile job routed: fetching, or waiting for a slot.
	for wait := time.Now().Add(30 * time.Second); fetching()+float64(a.fetches.len()) != float64(hostile); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatalf("setup: %v fetches in flight and %d waiting, want the %d hostile ones", fetching(), a.fetches.len(), hostile)
		}
	}

	// The honest requester's job is awarded next.
	honest := hostile + 1
	hj := mlpBidJob(honest) // aic1alice, dataset 5, served at once
	jobs[honest] = hj
	a.recs[honest] = &Record{ID: honest, Requester: hj.Requester, Phase: PhaseWon, Deadline: 140}
	a.dispatch()

	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case res := <-a.doneCh:
			if res.id == honest && res.err == nil {
				return
			}
			t.Fatalf("outcome of job %d: %v", res.id, res.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("the honest requester's mlp job %d never started its fetch: all %d fetch slots are held by %d stalled fetches of one attacker "+
		"split over 2 requester addresses (%v in flight, %d waiting); fetchesPerRequester (%d) caps an address, not an attacker",
		honest, a.cfg.Fetchers, hostile, fetching(), a.fetches.len(), a.fetchesPerRequester())
}
