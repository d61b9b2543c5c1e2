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
// a free one. One requester's jobs hold at most sizingsPerRequester of them,
// and a sizing ends at its job's commit end (prune) or after its commit
// window's time (sizingLimit), whichever comes first: a requester whose
// model server trickles holds half the slots for one commit window, never
// all of them for the fetch policy's minutes
// (TestAttackSizingSlotsHeldByOneRequester).
const maxSizings = 4

// sizingsPerRequester is how many sizings one requester's jobs may run at
// once: half of maxSizings, as fetchesPerRequester is of the fetch slots.
const sizingsPerRequester = maxSizings / 2

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
	cancel    context.CancelFunc // ends the sizing (its commit end passed)
	res       shapeResult
}

// sizer runs the sizings of jobs off the pipeline goroutine.
type sizer struct {
	mu       sync.Mutex
	base     context.Context // the agent's run: its end stops the sizings
	jobs     map[uint64]*sizing
	running  int
	byReq    map[string]int // sizings running per requester
	deferred bool           // a job waited for a free sizing since the last prune
}

// start makes the sizings run under ctx, the agent's run.
func (s *sizer) start(ctx context.Context) {
	s.mu.Lock()
	s.base = ctx
	s.mu.Unlock()
}

// size returns the sizing of job by fn, which runs on its own goroutine for
// at most limit: it waits for it until ctx ends, then returns
// ErrStillSizing (and the same at once while maxSizings others run, or
// sizingsPerRequester of its requester's). A finished sizing is handed out
// once.
func (s *sizer) size(ctx context.Context, job computetypes.Job, limit time.Duration, fn func(context.Context) shapeResult) (shapeResult, error) {
	s.mu.Lock()
	z, ok := s.jobs[job.Id]
	if !ok {
		if s.running >= maxSizings || s.byReq[job.Requester] >= sizingsPerRequester {
			s.deferred = true
			s.mu.Unlock()
			return shapeResult{}, ErrStillSizing
		}
		z = s.launch(job, limit, fn)
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
		s.jobs, s.byReq = map[uint64]*sizing{}, map[string]int{}
	}
	ctx, cancel := context.WithTimeout(base, limit)
	z := &sizing{done: make(chan struct{}), commitEnd: job.CommitEnd, requester: job.Requester, cancel: cancel}
	s.jobs[job.Id] = z
	s.running++
	s.byReq[job.Requester]++
	go func() {
		defer cancel()
		z.res = fn(ctx)
		s.mu.Lock()
		s.running--
		if s.byReq[z.requester]--; s.byReq[z.requester] <= 0 {
			delete(s.byReq, z.requester)
		}
		s.mu.Unlock()
		close(z.done)
	}()
	return z
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

// prune ends and forgets the sizings of jobs whose commit window closed
// before height h (no bid on them can land any more): one still running is
// cancelled, and its slot is free once its fetch returns.
func (s *sizer) prune(h int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deferred = false
	for id, z := range s.jobs {
		if z.commitEnd < h {
			z.cancel()
			delete(s.jobs, id)
		}
	}
}

// sizingLimit is the most a job's sizing may take: the time to its commit
// end at the block interval, at least one block (prune ends it at the
// commit end itself; this bounds it when blocks stop coming).
func (a *Agent) sizingLimit(job computetypes.Job) time.Duration {
	return time.Duration(max(job.CommitEnd-a.height, 1)) * a.cap.blockTime()
}

// bidWait is how long a bidding step waits for sizings: a quarter of the
// block interval, within [50 ms, 2 s].
func (a *Agent) bidWait() time.Duration {
	return min(max(a.cap.blockTime()/4, 50*time.Millisecond), 2*time.Second)
}
