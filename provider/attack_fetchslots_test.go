package provider

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// stallingDatasets stalls every dataset id in ids, its load and its
// prefetch (the download to disk, jobexec.ChainResolver's): the
// attacker's own servers, which answer the "served" probe and then trickle
// the rows.
type stallingDatasets struct {
	fakeMLP
	ids  map[uint64]bool
	held *atomic.Int64 // files prefetched and not released
}

func (s stallingDatasets) Dataset(ctx context.Context, id, v uint64) (*workload.Matrix, error) {
	if s.ids[id] {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.fakeMLP.Dataset(ctx, id, v)
}

func (s stallingDatasets) PrefetchDataset(ctx context.Context, id, _ uint64) (func(), error) {
	if s.ids[id] {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	s.held.Add(1)
	return func() { s.held.Add(-1) }, nil
}

// honestJobBehindStalledFetches has one attacker win as many mlp jobs as
// the agent has fetch slots, from two requester addresses, each on the
// dataset hostileDataset(id) that mlp (built by stalling over the
// attacker's datasets) stalls; then an honest requester's job on dataset 5,
// served at once, is awarded. It returns nil once the honest job is
// fetched and run, or why it was not within 5 s, with the agent and the
// honest job's id.
func honestJobBehindStalledFetches(t *testing.T, hostileDataset func(id uint64) uint64, stalling func(fakeMLP, map[uint64]bool) MLPResolver, tune ...func(*Agent)) (*Agent, uint64, error) {
	t.Helper()
	a := testAgent(t)
	for _, f := range tune {
		f(a)
	}
	a.backend = cpu.New()
	a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	rows := make([]float32, 23*2)
	for i := range rows {
		rows[i] = float32(i)
	}
	ds := &jobexec.DatasetFile{Record: datamarkettypes.Dataset{Id: 5}, Description: &dataset.Description{Matrix: &workload.Matrix{Rows: 23, Cols: 2, Data: rows}}}
	hostile := uint64(a.cfg.Fetchers)
	stalled := map[uint64]bool{}
	for id := uint64(1); id <= hostile; id++ {
		stalled[hostileDataset(id)] = true
	}
	a.cfg.MLP = stalling(fakeMLP{model: model, ds: ds}, stalled)

	jobs := map[uint64]computetypes.Job{}
	a.query = &jobsOnChain{jobs: jobs}
	for id := uint64(1); id <= hostile; id++ {
		j := mlpBidJob(id)
		j.Requester = []string{"aic1mallory1", "aic1mallory2"}[id%2] // one attacker, two addresses
		j.Workload.Mlp.DatasetId = hostileDataset(id)
		jobs[id] = j
		a.recs[id] = &Record{ID: id, Requester: j.Requester, Phase: PhaseWon, Deadline: 130 + int64(id)}
	}

	runPools(t, a, a.cfg.Workers)
	fetching := func() float64 { return fetchesInFlight(t, a) }
	a.dispatch()
	// Every hostile job routed: fetching, waiting for a slot, or failed.
	routed := func() float64 { return fetching() + float64(a.fetches.len()+len(a.doneCh)) }
	for wait := time.Now().Add(30 * time.Second); routed() != float64(hostile); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatalf("setup: %v fetches in flight, %d waiting and %d failed, want the %d hostile ones", fetching(), a.fetches.len(), len(a.doneCh), hostile)
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
			switch {
			case res.id == honest && res.err == nil:
				return a, honest, nil
			case res.id == honest:
				t.Fatalf("outcome of the honest job %d: %v", res.id, res.err)
			case res.err == nil:
				t.Fatalf("the attacker's job %d ran on stalled inputs", res.id)
			}
		case <-time.After(10 * time.Millisecond):
		}
	}
	return a, honest, fmt.Errorf("the honest requester's mlp job %d never started its fetch: all %d fetch slots are held by %d stalled fetches of one attacker "+
		"over 2 requester addresses (%v in flight, %d waiting)", honest, a.cfg.Fetchers, hostile, fetching(), a.fetches.len())
}

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
// that misses it forfeits the job's collateral. Where the dataset is not
// prefetched to disk (a source that cannot: this one, or a resolver
// without a disk cache), one dataset is loaded one job at a time: the
// attacker's jobs hold one slot.
func TestAttackFetchSlotsHeldByTwoRequesterAddresses(t *testing.T) {
	noPrefetch := func(f fakeMLP, ids map[uint64]bool) MLPResolver { return stallingDataset{f} }
	if _, _, err := honestJobBehindStalledFetches(t, func(uint64) uint64 { return 66 }, noPrefetch); err != nil {
		t.Fatalf("%v; fetchesPerRequester caps an address, not an attacker", err)
	}
}

// TestAttackFetchSlotsHeldByOneDatasetPerSlot: the fix above loads one
// dataset one job at a time, on the ground that "a dataset costs a
// listing". A listing costs only its gas (x/datamarket charges no listing
// fee or deposit), so the attacker lists as many datasets as the agent has
// fetch slots (--fetchers, default 2 × workers = 4), posts one mlp job on
// each, and holds every slot again. No key an attacker multiplies for gas
// can bound it: now a won job's dataset is downloaded to disk
// (jobexec.ChainResolver.PrefetchDataset) before the job takes a slot,
// and a trickling server holds that download, never a slot; the slots
// only load files already on disk.
func TestAttackFetchSlotsHeldByOneDatasetPerSlot(t *testing.T) {
	var held atomic.Int64
	prefetching := func(f fakeMLP, ids map[uint64]bool) MLPResolver { return stallingDatasets{f, ids, &held} }
	a, honest, err := honestJobBehindStalledFetches(t, func(id uint64) uint64 { return 65 + id }, prefetching)
	if err != nil {
		t.Fatalf("%v; one dataset per slot, a listing each (gas only)", err)
	}
	// Its file is held until the job is executed and its dataset kept.
	if n := held.Load(); n != 1 {
		t.Errorf("%d prefetched files held while the honest job runs, want its 1", n)
	}
	a.recs[honest].Phase = PhaseExecuted
	a.releaseHolds(true)
	if n := held.Load(); n != 0 {
		t.Errorf("%d prefetched files still held in the disk cache after their jobs were executed", n)
	}
}

// refusedDownloads refuses every download of the attacker's datasets at
// once (a dataset server's 403, as before the award reached it) and
// stalls their loads.
type refusedDownloads struct{ stallingDatasets }

func (s refusedDownloads) PrefetchDataset(ctx context.Context, id, v uint64) (func(), error) {
	if s.ids[id] {
		return nil, fmt.Errorf("download dataset %d: %w", id, &dataserver.HTTPError{Status: http.StatusForbidden, Code: "no_access"})
	}
	return s.stallingDatasets.PrefetchDataset(ctx, id, v)
}

// TestAttackServerRefusesTheDownloadTricklesTheLoad: with downloads to disk
// ahead of the slots, the attacker's servers answer the download with a
// refusal, which costs them nothing and leaves the file off disk, and
// trickle the second request, the load's, had the load downloaded in its
// slot: every slot would be held again. A failed download fails the job's
// inputs (tried again later, as a failed load is); only a file the disk
// cache has no room for is downloaded by its load.
func TestAttackServerRefusesTheDownloadTricklesTheLoad(t *testing.T) {
	refusing := func(f fakeMLP, ids map[uint64]bool) MLPResolver {
		return refusedDownloads{stallingDatasets{f, ids, new(atomic.Int64)}}
	}
	if _, _, err := honestJobBehindStalledFetches(t, func(id uint64) uint64 { return 65 + id }, refusing); err != nil {
		t.Fatalf("%v; the downloads were refused, the loads trickle", err)
	}
}

// fullCacheFor answers every prefetch with jobexec.ErrCacheFull (a disk
// cache full of files it may not evict) until room comes back at roomAt.
type fullCacheFor struct {
	stallingDatasets
	roomAt time.Time
}

func (s fullCacheFor) PrefetchDataset(ctx context.Context, id, v uint64) (func(), error) {
	if time.Now().Before(s.roomAt) {
		return nil, fmt.Errorf("dataset %d: %w", id, jobexec.ErrCacheFull)
	}
	return s.stallingDatasets.PrefetchDataset(ctx, id, v)
}

// TestAttackFullCacheFallbackTricklesTheLoad (found by review): a prefetch
// that found no room in the disk cache (ErrCacheFull) queued its job for a
// load that downloads in its fetch slot. The cache's unevictable files are
// partly the attacker's to make (the weights of the jobs the agent has bid
// on are kept; held prefetches; downloads that send the recorded size at
// once and then trickle), so with the cache full for a moment every won
// job's prefetch failed, the attacker's jobs on one trickling dataset per
// slot held every slot again, and the honest job's load waited behind
// them. Now a download that finds no room waits for room, holding no
// slot; the load in a slot never downloads a prefetched job's dataset.
func TestAttackFullCacheFallbackTricklesTheLoad(t *testing.T) {
	var held atomic.Int64
	roomAt := time.Now().Add(300 * time.Millisecond)
	full := func(f fakeMLP, ids map[uint64]bool) MLPResolver {
		return fullCacheFor{stallingDatasets{f, ids, &held}, roomAt}
	}
	fastRetry := func(a *Agent) { a.cacheRetry = 10 * time.Millisecond }
	if _, _, err := honestJobBehindStalledFetches(t, func(id uint64) uint64 { return 65 + id }, full, fastRetry); err != nil {
		t.Fatalf("%v; the disk cache had no room for 300 ms", err)
	}
}
