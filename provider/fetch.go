package provider

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Won jobs on their way to the workers. dispatch queues them, earliest
// deadline first (execCh); the fetchers (--fetchers of them) read each one
// from the chain and route it: a job whose kind needs no inputs (gemm)
// joins the workers' queue at once (workQueue, earliest deadline first), a
// job that needs a model or a dataset first has its dataset downloaded to
// the disk cache (prefetch: a goroutine per job, one download per file,
// holding no slot), then joins the fetch queue, and once its inputs are
// loaded the workers' queue. The loads run in goroutines of their own, at
// most --fetchers at once (each holds its job's inputs in memory until a
// worker takes it: admitMemory counts one job per slot), at most half of
// them (fetchesPerRequester) for one requester's jobs, and one at a time
// per dataset; the others wait, earliest deadline first.
//
// Downloads hold no slot because no key an attacker multiplies for gas can
// bound them: while a slot downloaded, one attacker trickling its own
// dataset's rows from two addresses held every slot
// (TestAttackFetchSlotsHeldByTwoRequesterAddresses: the per-requester and
// per-dataset bounds), and then, listings costing only gas, one dataset per
// slot held them all again (TestAttackFetchSlotsHeldByOneDatasetPerSlot).
// A trickling server now holds its own download (up to the fetch policy's
// timeout, and again 3 blocks later), which fails the attacker's own job;
// an honest job's download runs beside it and its load finds the file on
// disk, held there until that load (fetchQueue.hold). A failed download
// fails the job's inputs rather than leave the download to its load, and
// one that finds no room on disk waits for room (prefetch.go). The
// per-requester and per-dataset bounds remain for the loads of an agent
// without a disk cache, which download in their slots. A stalled load or
// download never holds a fetcher either: the jobs queued behind it
// are still routed, and a job with nothing to fetch runs while the workers
// would otherwise idle (TestAttackStalledFetchersStarveJobsWithoutInputs).
// A fetched job waits for a worker in its slot (it holds its inputs in
// memory), and the workers take the fetched job due first: fetched jobs due
// late held every slot while a job due earlier waited for one, and a freed
// worker took one of them, the honest job running a whole execution past
// the schedule admission planned for it
// (TestAttackLoadedLateJobsHoldTheFetchSlotsOfAnEarlierOne). So a fetched
// job not yet taken gives its slot to a waiting job due earlier that only
// the slots hold back, and waits for a slot again (admitLocked); its
// prefetched file stays held, and its next load reads it from disk.
// The queues hold each won job at most once (Agent.queued); a job waiting
// at shutdown is in the store as won and queued again after a restart.

// fetchQueue holds the won jobs whose inputs are to be fetched. Its zero
// value is empty.
type fetchQueue struct {
	mu          sync.Mutex
	running     int
	byRequester map[string]int
	byDataset   map[uint64]bool    // the datasets being fetched
	held        map[uint64]func()  // releases of the prefetched files, by job
	waiting     []computetypes.Job // by ExecDeadline
	loaded      map[uint64]*loadedJob
	cuts        map[uint64]jobCut // the contexts of the fetches not done (inputcut.go)
	yielded     map[uint64]bool   // jobs fetched once that gave their slot up (admitLocked)
	wg          sync.WaitGroup    // fetches under way
}

// loadedJob is a fetched job in its slot, queued for the workers: yield
// closes when it gives its slot up (admitLocked), ended when its job ended
// (drop: it leaves the workers' queue and frees its slot).
type loadedJob struct {
	job          computetypes.Job
	item         *readyItem
	yield, ended chan struct{}
}

// push queues job and returns the jobs that may be fetched now
// (admitLocked).
func (q *fetchQueue) push(job computetypes.Job, limit, perRequester int, ready *workQueue) []computetypes.Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.waitLocked(job)
	return q.admitLocked(limit, perRequester, ready)
}

func (q *fetchQueue) waitLocked(job computetypes.Job) {
	i := sort.Search(len(q.waiting), func(i int) bool { return q.waiting[i].ExecDeadline > job.ExecDeadline })
	q.waiting = append(q.waiting, computetypes.Job{})
	copy(q.waiting[i+1:], q.waiting[i:])
	q.waiting[i] = job
}

// load records job, fetched and queued for the workers as it, in its
// slot, and returns it (its yield and ended channels), with the jobs that
// may be fetched now (admitLocked).
func (q *fetchQueue) load(job computetypes.Job, it *readyItem, limit, perRequester int, ready *workQueue) (*loadedJob, []computetypes.Job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.loaded == nil {
		q.loaded = map[uint64]*loadedJob{}
	}
	l := &loadedJob{job: job, item: it, yield: make(chan struct{}), ended: make(chan struct{})}
	q.loaded[job.Id] = l
	return l, q.admitLocked(limit, perRequester, ready)
}

// taken forgets a loaded job a worker took.
func (q *fetchQueue) taken(id uint64) {
	q.mu.Lock()
	delete(q.loaded, id)
	q.mu.Unlock()
}

// admitLocked takes the jobs that may be fetched now (takeLocked) and, while
// a waiting job is held back by the slots alone (blockedLocked), frees for it
// the slot of the loaded job due last after it that no worker has taken: that
// job leaves the workers' queue for the fetch queue, and the freed slot goes
// to the waiting jobs, earliest deadline first.
func (q *fetchQueue) admitLocked(limit, perRequester int, ready *workQueue) []computetypes.Job {
	out := q.takeLocked(limit, perRequester)
	for {
		w, ok := q.blockedLocked(limit, perRequester)
		if !ok {
			return out
		}
		l := q.yieldLocked(w.ExecDeadline, ready)
		if l == nil {
			return out
		}
		q.releaseLocked(l.job)
		q.waitLocked(l.job)
		if q.yielded == nil {
			q.yielded = map[uint64]bool{}
		}
		q.yielded[l.job.Id] = true
		close(l.yield)
		out = append(out, q.takeLocked(limit, perRequester)...)
	}
}

// blockedLocked returns the first waiting job that only the slots hold back
// (its requester under perRequester, its dataset not being fetched).
func (q *fetchQueue) blockedLocked(limit, perRequester int) (computetypes.Job, bool) {
	if q.running < limit {
		return computetypes.Job{}, false
	}
	for _, job := range q.waiting {
		if q.byRequester[job.Requester] < perRequester && !q.byDataset[fetchedDataset(job)] {
			return job, true
		}
	}
	return computetypes.Job{}, false
}

// yieldLocked takes out of the workers' queue the loaded job due last, after
// deadline, that no worker has taken, and returns it (nil: none).
func (q *fetchQueue) yieldLocked(deadline int64, ready *workQueue) *loadedJob {
	for {
		var last *loadedJob
		for _, l := range q.loaded {
			if l.job.ExecDeadline > deadline && (last == nil || l.job.ExecDeadline > last.job.ExecDeadline ||
				l.job.ExecDeadline == last.job.ExecDeadline && l.job.Id > last.job.Id) {
				last = l
			}
		}
		if last == nil {
			return nil
		}
		delete(q.loaded, last.job.Id)
		if ready.remove(last.item) {
			return last
		}
	}
}

// take removes and returns the waiting jobs that may be fetched now
// (takeLocked).
func (q *fetchQueue) take(limit, perRequester int) []computetypes.Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.takeLocked(limit, perRequester)
}

// takeLocked removes and returns the waiting jobs that may be fetched now,
// earliest deadline first: while fewer than limit fetches run, each job
// whose requester has fewer than perRequester and whose dataset (if any) is
// not being fetched.
func (q *fetchQueue) takeLocked(limit, perRequester int) []computetypes.Job {
	var out []computetypes.Job
	kept := q.waiting[:0]
	for _, job := range q.waiting {
		if q.running >= limit || q.byRequester[job.Requester] >= perRequester || q.byDataset[fetchedDataset(job)] {
			kept = append(kept, job)
			continue
		}
		if q.byRequester == nil {
			q.byRequester, q.byDataset = map[string]int{}, map[uint64]bool{}
		}
		q.running++
		q.byRequester[job.Requester]++
		if d := fetchedDataset(job); d != 0 {
			q.byDataset[d] = true
		}
		out = append(out, job)
	}
	clear(q.waiting[len(kept):])
	q.waiting = kept
	return out
}

// fetchedDataset is the dataset a job's fetch reads (an mlp-f32 or a
// gpt-f32 job's), 0 for none.
func fetchedDataset(job computetypes.Job) uint64 {
	if id := job.Workload.Mlp.GetDatasetId(); id != 0 {
		return id
	}
	return job.Workload.Gpt.GetDatasetId()
}

// hold keeps release, which lets job id's prefetched file go from the
// disk cache, until the job is executed and its dataset kept
// (releaseHolds), or its load fails; a hold it had already is released.
func (q *fetchQueue) hold(id uint64, release func()) {
	q.mu.Lock()
	old, had := q.held[id]
	if q.held == nil {
		q.held = map[uint64]func(){}
	}
	q.held[id] = release
	q.mu.Unlock()
	if had {
		old()
	}
}

// release lets the prefetched file of job id go.
func (q *fetchQueue) release(id uint64) {
	q.mu.Lock()
	release, ok := q.held[id]
	delete(q.held, id)
	q.mu.Unlock()
	if ok {
		release()
	}
}

// heldIDs is the jobs whose prefetched files are held.
func (q *fetchQueue) heldIDs() []uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := make([]uint64, 0, len(q.held))
	for id := range q.held {
		ids = append(ids, id)
	}
	return ids
}

// done frees the slot of a fetch of job.
func (q *fetchQueue) done(job computetypes.Job) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.releaseLocked(job)
}

func (q *fetchQueue) releaseLocked(job computetypes.Job) {
	q.running--
	if q.byRequester[job.Requester]--; q.byRequester[job.Requester] <= 0 {
		delete(q.byRequester, job.Requester)
	}
	delete(q.byDataset, fetchedDataset(job))
}

func (q *fetchQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}

// fetchesPerRequester is how many fetch slots one requester's jobs may hold
// at once: half of them (at least one), so that a requester whose server
// trickles cannot hold them all.
func (a *Agent) fetchesPerRequester() int { return max(1, a.cfg.Fetchers/2) }

// fetcher routes queued won jobs until ctx ends.
func (a *Agent) fetcher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-a.execCh:
			if !a.route(ctx, id) {
				return
			}
		}
	}
}

// route reads a queued job from the chain: one that needs no inputs joins
// the workers' queue (workQueue), one that does to the fetch queue; a
// failure goes back to the pipeline. False once ctx has ended.
func (a *Agent) route(ctx context.Context, id uint64) bool {
	// Reading the job is counted as part of its fetch; the count passes to
	// the fetch if it starts at once.
	a.metrics.Fetching.Inc()
	qctx, cancel := context.WithTimeout(ctx, a.callWait()) // a hung query fails and is retried (execFailed)
	jr, err := a.query.Job(qctx, &computetypes.QueryJobRequest{JobId: id})
	cancel()
	if err == nil && needsInputs(jr.Job) {
		a.prefetch(ctx, jr.Job)
		return true
	}
	a.metrics.Fetching.Dec()
	if err != nil {
		return ctx.Err() == nil && a.finish(ctx, execResult{id: id, err: fmt.Errorf("query job: %w", err)})
	}
	job := jr.Job
	w, err := jobexec.FromJob(ctx, job.Workload, job.DatasetVersion, nil)
	if err != nil {
		return ctx.Err() == nil && a.finish(ctx, execResult{id: id, err: err})
	}
	a.ready.push(prepared{job: job, w: w}) // nothing fetched: it holds no memory while it waits
	return true
}

// needsInputs reports whether a job's kind reads a model or a dataset.
func needsInputs(job computetypes.Job) bool {
	k, ok := jobexec.Lookup(job.Workload.Kind)
	return ok && !k.Needs.MetBy(jobexec.Needs{})
}

// handOff queues a prepared job for the workers and waits until one takes
// it (a fetched job holds its inputs in memory, one per fetch slot), it
// gives its slot to a job due earlier (admitLocked: it is in the fetch queue
// again, its slot freed; yielded is true), its job ends (drop: it left the
// workers' queue; its slot is freed by the fetch), or ctx ends.
func (a *Agent) handOff(ctx context.Context, p prepared) (yielded bool) {
	it := a.ready.push(p)
	l, jobs := a.fetches.load(p.job, it, a.cfg.Fetchers, a.fetchesPerRequester(), &a.ready)
	a.launch(ctx, jobs, nil)
	select {
	case <-it.taken:
		a.fetches.taken(p.job.Id)
		return false
	case <-l.yield:
		return true
	case <-l.ended:
		return false
	case <-ctx.Done():
		return false
	}
}

// launch starts the fetches of jobs (taken from the queue), counting them
// in fetches_in_flight; routed, when set, is the job whose router counted
// it already (its count passes to its fetch, or ends).
func (a *Agent) launch(ctx context.Context, jobs []computetypes.Job, routed *uint64) {
	counted := false
	for _, job := range jobs {
		if routed != nil && job.Id == *routed {
			counted = true
		} else {
			a.metrics.Fetching.Inc()
		}
		a.fetches.wg.Add(1)
		go func() {
			defer a.fetches.wg.Done()
			a.fetch(ctx, job)
		}()
	}
	if routed != nil && !counted {
		a.metrics.Fetching.Dec()
	}
}

// fetch fetches a job's inputs and hands the job to a worker (waiting for
// one: a fetched job holds its inputs in memory, and admitMemory counts one
// such job per fetch slot) or, when they fail, back to the pipeline; then
// its slot goes to the next waiting job.
func (a *Agent) fetch(ctx context.Context, job computetypes.Job) {
	yielded := false // its slot given to a job due earlier, freed already
	defer func() {
		if !yielded {
			a.fetches.done(job)
		}
		if ctx.Err() == nil {
			a.launch(ctx, a.fetches.take(a.cfg.Fetchers, a.fetchesPerRequester()), nil)
		}
	}()
	var resolver jobexec.Resolver
	if a.cfg.MLP != nil {
		resolver = a.cfg.MLP
	}
	start := time.Now()
	// The weights from the model's uri, or the uri the job keeps (the one
	// its model owner's bond vouched for at its creation) when that fails;
	// cut at the job's abort point (inputcut.go). Nothing for a job that
	// ended.
	jctx, live := a.startFetch(ctx, job.Id)
	if !live {
		a.metrics.Fetching.Dec()
		return
	}
	w, err := jobexec.FromJob(jobexec.WithModelURI(jctx, job.ModelUri), job.Workload, job.DatasetVersion, resolver)
	err = fetchErr(jctx, err)
	a.fetches.fetched(job.Id)
	if err != nil {
		a.fetches.release(job.Id)
	}
	a.metrics.FetchSeconds.Observe(time.Since(start).Seconds())
	a.metrics.Fetching.Dec()
	switch {
	case ctx.Err() != nil:
	case err != nil:
		// Building a job the chain accepted fails only on its inputs.
		a.finish(ctx, execResult{id: job.Id, err: err, inputs: true})
	default:
		yielded = a.handOff(ctx, prepared{job: job, w: w})
	}
}
