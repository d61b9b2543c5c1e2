package provider

import (
	"context"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// jobsOnChain answers the agent's job queries from a map.
type jobsOnChain struct {
	computetypes.QueryClient
	jobs map[uint64]computetypes.Job
}

func (c jobsOnChain) Job(_ context.Context, in *computetypes.QueryJobRequest, _ ...grpc.CallOption) (*computetypes.QueryJobResponse, error) {
	return &computetypes.QueryJobResponse{Job: c.jobs[in.JobId]}, nil
}

// stallingDataset is a dataset source whose dataset 66 never finishes
// arriving: the fetch waits until it is given up.
type stallingDataset struct{ fakeMLP }

func (s stallingDataset) Dataset(ctx context.Context, id, v uint64) (*workload.Matrix, error) {
	if id == 66 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.fakeMLP.Dataset(ctx, id, v)
}

// A hostile requester wins a provider's attention with jobs on its own
// dataset, whose server answers and then trickles: as many jobs as the
// provider has workers, with the earliest deadlines. Were inputs fetched on
// the workers, every other won job would wait behind those fetches, toward
// its deadline and the provider's slashed collateral. Fetches run ahead of
// the workers, so the honest job queued after them runs at once.
func TestAttackTricklingDatasetServerHoldsTheWorkers(t *testing.T) {
	a := testAgent(t)
	a.backend = cpu.New()
	a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
	a.cfg.MLP = stallingDataset{fakeMLP{model: &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}}}
	jobs := map[uint64]computetypes.Job{}
	for id := uint64(1); id <= uint64(a.cfg.Workers); id++ {
		j := mlpBidJob(id)
		j.Workload.Mlp.DatasetId = 66
		jobs[id] = j
		a.recs[id] = &Record{ID: id, Phase: PhaseWon, Deadline: 130 + int64(id)}
	}
	honest := uint64(a.cfg.Workers) + 1
	jobs[honest] = gemmJob(honest, 16, 40)
	a.recs[honest] = &Record{ID: honest, Phase: PhaseWon, Deadline: 140}
	a.query = jobsOnChain{jobs: jobs}

	runPools(t, a, a.cfg.Workers)
	a.dispatch()
	if len(a.queued) != len(jobs) {
		t.Fatalf("%d of %d won jobs queued", len(a.queued), len(jobs))
	}
	select {
	case res := <-a.doneCh:
		if res.id != honest || res.err != nil || res.count != jobs[honest].ExpectedChunkCount {
			t.Fatalf("first outcome: job %d, %d chunks, err %v", res.id, res.count, res.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the honest job did not run while %d fetches trickled (%d workers)", a.cfg.Workers, a.cfg.Workers)
	}
	// The operator sees the stalled fetch: one, since one dataset is fetched
	// one job at a time, the others waiting for it (the honest job, going
	// straight to a worker, may finish before the last of them is routed:
	// wait for the state, not a moment).
	var n float64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n = fetchesInFlight(t, a); n == 1 && a.fetches.len() == a.cfg.Workers-1 {
			return
		}
	}
	t.Fatalf("fetches_in_flight %v and %d waiting, want 1 stalled and %d waiting for its dataset", n, a.fetches.len(), a.cfg.Workers-1)
}

// runPools starts workers of a's workers and all its fetchers, until the
// test ends; it returns their context.
func runPools(t *testing.T, a *Agent, workers int) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for range workers {
		go a.worker(ctx)
	}
	for range a.cfg.Fetchers {
		go a.fetcher(ctx)
	}
	return ctx
}

// fetchesInFlight reads a's fetches_in_flight gauge.
func fetchesInFlight(t *testing.T, a *Agent) float64 {
	t.Helper()
	var m dto.Metric
	if err := a.metrics.Fetching.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
