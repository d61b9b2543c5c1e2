package provider

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Sizing a job whose kind reads a model or a dataset before a bid fetches
// the model's weights from the uri its owner registered and asks the
// dataset's server whether it serves the job's version: network I/O on
// addresses anyone may name, each bounded only by the fetch policy's time
// limit (minutes). The pipeline that reveals, bids and submits runs on one
// goroutine, block by block, so such a fetch runs beside it: the bidding
// step waits for it a share of a block (bidWait), and a job whose sizing is
// not done by then is decided again at a later step, not refused. A server
// that trickles its bytes thus costs its own job's bid, never the reveals
// and results of the block.

// ErrStillSizing is a job whose inputs are still being fetched and checked
// for its bid: it is decided again at a later step.
var ErrStillSizing = errors.New("the job's inputs are still being sized")

// whySizing is the decision of a job still being sized (ErrStillSizing).
const whySizing = "sizing"

// maxSizings bounds the sizings running at once; a job beyond it waits for
// a free one. A sizing whose job's commit window closes is no longer waited
// for (prune), but its fetch runs on to the fetch policy's own limits
// (sizingBackstop beyond them), still holding its slot: a model whose
// weights take longer than a commit window to arrive lands in the cache
// for the next job on it, rather than being cut and started again from
// nothing at every job (TestAttackLargeModelSizingCancelledEveryCommitWindow).
// A model server that trickles thus holds its slot for the fetch policy's
// minutes, so the slots are shared out by what costs an attacker most to
// multiply (TestAttackSizingSlotsHeldByTwoRequesterAddresses):
//   - one sizing per model at a time: a job whose model is being fetched
//     waits for that fetch (and then finds it cached), however many
//     addresses post jobs on it;
//   - one requester address at most sizingsPerRequester;
//   - the last slot only for a job whose model was read before (warm):
//     however many addresses and models a trickling attacker brings, a job
//     on a model the agent already holds is sized at once
//     (TestAttackSizingSlotsHeldByOneRequester).
const maxSizings = 4

// sizingsPerRequester is how many sizings one requester's jobs may run at
// once: half of maxSizings, as fetchesPerRequester is of the fetch slots.
const sizingsPerRequester = maxSizings / 2

// sizingBackstop bounds a sizing whose source has no limit of its own;
// jobexec.ChainResolver's fetch policy ends a fetch well before (2 minutes
// and the file's size at 4 MiB/s by default: 6.3 minutes for the parser's
// 1 GiB).
const sizingBackstop = 10 * time.Minute

// maxWarmModels bounds the models remembered as read (sizer.warm).
const maxWarmModels = 256

// shapeResult is a job's bid shape, or why the agent does not bid on it.
type shapeResult struct {
	shape jobexec.BidShape
	why   string
}

// sizing is one job's sizing: done closes when res is set.
type sizing struct {
	done      chan struct{}
	commitEnd int64
	requester string
	model     uint64 // the model it reads; 0: none
	cold      bool   // its model was not read before: it may not take the last slot
	res       shapeResult
}

// sizer runs the sizings of jobs off the pipeline goroutine.
type sizer struct {
	mu       sync.Mutex
	base     context.Context    // the agent's run: its end stops the sizings
	jobs     map[uint64]*sizing // sizings a step still waits for
	running  int
	cold     int                // running sizings on models not read before
	byReq    map[string]int     // sizings running per requester
	fetching map[uint64]*sizing // the sizing running on each model
	warm     map[uint64]bool    // models read by a finished sizing (cached)
	deferred bool               // a job waited for a free sizing since the last prune
}

// start makes the sizings run under ctx, the agent's run.
func (s *sizer) start(ctx context.Context) {
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()
}

// sizedModel is the model a job's sizing reads (an mlp-f32 or a gpt-f32
// job's, one id space: x/modelregistry), 0 for none: the sizing slots'
// shares key on it (TestAttackGPTSizingSlotsHeldByTrickledModels).
func sizedModel(job computetypes.Job) uint64 {
	if id := job.Workload.Mlp.GetModelId(); id != 0 {
		return id
	}
	return job.Workload.Gpt.GetModelId()
}

// admits reports whether job's sizing may start now (maxSizings); s.mu is
// held.
func (s *sizer) admits(job computetypes.Job) bool {
	model := sizedModel(job)
	switch {
	case s.running >= maxSizings, s.byReq[job.Requester] >= sizingsPerRequester:
		return false
	case model != 0 && s.fetching[model] != nil:
		return false // being fetched: this job waits for it (size), then finds it cached
	case model != 0 && s.warm[model]:
		return true
	}
	return s.cold < maxSizings-1
}

// size returns the sizing of job by fn, which runs on its own goroutine for
// at most limit: it waits for it until ctx ends, then returns
// ErrStillSizing (and the same at once while the job may not start one,
// see admits). A finished sizing is handed out once.
func (s *sizer) size(ctx context.Context, job computetypes.Job, limit time.Duration, fn func(context.Context) shapeResult) (shapeResult, error) {
	s.mu.Lock()
	z, ok := s.jobs[job.Id]
	for !ok {
		if s.admits(job) {
			z = s.launch(job, limit, fn)
			break
		}
		// A job whose model is being fetched waits for that fetch as
		// for its own: the weights are then in the cache.
		f := s.fetching[sizedModel(job)]
		s.deferred = true
		s.mu.Unlock()
		if f == nil {
			return shapeResult{}, ErrStillSizing
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return shapeResult{}, ErrStillSizing
		}
		s.mu.Lock()
		z, ok = s.jobs[job.Id]
	}
	s.mu.Unlock()
	select {
	case <-z.done:
	default:
		select {
		case <-z.done:
		case <-ctx.Done():
			return shapeResult{}, ErrStillSizing
		}
	}
	s.mu.Lock()
	delete(s.jobs, job.Id)
	s.mu.Unlock()
	return z.res, nil
}

// launch starts the sizing of job; s.mu is held.
func (s *sizer) launch(job computetypes.Job, limit time.Duration, fn func(context.Context) shapeResult) *sizing {
	base := s.base
	if base == nil {
		base = context.Background()
	}
	if s.jobs == nil {
		s.jobs, s.byReq, s.fetching, s.warm = map[uint64]*sizing{}, map[string]int{}, map[uint64]*sizing{}, map[uint64]bool{}
	}
	model := sizedModel(job)
	z := &sizing{done: make(chan struct{}), commitEnd: job.CommitEnd, requester: job.Requester, model: model,
		cold: model == 0 || !s.warm[model]}
	s.jobs[job.Id] = z
	s.count(z, 1)
	go func() {
		ctx, cancel := context.WithTimeout(base, limit)
		defer cancel()
		z.res = fn(ctx)
		s.mu.Lock()
		s.count(z, -1)
		if z.model != 0 && z.res.why != "model" && ctx.Err() == nil {
			s.remember(z.model)
		}
		s.mu.Unlock()
		close(z.done)
	}()
	return z
}

// count adds d to the running sizings z is counted in; s.mu is held.
func (s *sizer) count(z *sizing, d int) {
	s.running += d
	if z.cold {
		s.cold += d
	}
	if s.byReq[z.requester] += d; s.byReq[z.requester] <= 0 {
		delete(s.byReq, z.requester)
	}
	switch {
	case z.model == 0:
	case d > 0:
		s.fetching[z.model] = z
	case s.fetching[z.model] == z:
		delete(s.fetching, z.model)
	}
}

// remember marks model read (its weights in the cache); s.mu is held. Past
// maxWarmModels one is dropped: it is only sized in a cold slot again.
func (s *sizer) remember(model uint64) {
	if len(s.warm) >= maxWarmModels {
		for m := range s.warm {
			delete(s.warm, m)
			break
		}
	}
	s.warm[model] = true
}

// due reports whether a step should list the open jobs again: a sizing has
// finished and waits to be decided on, or a job waited for a free sizing.
func (s *sizer) due() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deferred {
		return true
	}
	for _, z := range s.jobs {
		select {
		case <-z.done:
			return true
		default:
		}
	}
	return false
}

// again makes the next step decide the open jobs again (due): a job whose
// decision failed for a passing reason (pinWeights) waits for it.
func (s *sizer) again() {
	s.mu.Lock()
	s.deferred = true
	s.mu.Unlock()
}

// prune forgets the sizings of jobs whose commit window closed before
// height h: no bid on them can land any more, so no step waits for them.
// One still running is not cancelled: its fetch runs on to its limits and
// fills the cache for the next job on its model, holding its slot till
// then (maxSizings).
func (s *sizer) prune(h int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deferred = false
	for id, z := range s.jobs {
		if z.commitEnd < h {
			delete(s.jobs, id)
		}
	}
}

// bidWait is how long a bidding step waits for sizings: a quarter of the
// block interval, within [50 ms, 2 s].
func (a *Agent) bidWait() time.Duration {
	return min(max(a.cap.blockTime()/4, 50*time.Millisecond), 2*time.Second)
}
