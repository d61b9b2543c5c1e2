package provider

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// Jobs that end before their result. A job over on chain (timed out,
// cancelled, aborted) or past its deadline before its result was sent can
// no longer be paid; its execution ran on to the end all the same, and its
// fetch too, holding a worker (and a fetch slot) that the schedule had
// planned for the jobs after it. retire now ends them: an execution under
// way is cancelled, a fetch cut, and a job handed to the workers and not
// yet taken is skipped (TestEndedJobGivesItsWorkerBack).

// errJobEnded is the cause of an execution or fetch stopped because its
// job ended.
var errJobEnded = errors.New("the job ended before its result was sent")

// execCuts holds the executions under way, by job, and the jobs that ended
// before a worker took them. Its zero value is empty.
type execCuts struct {
	mu      sync.Mutex
	running map[uint64]context.CancelCauseFunc
	ended   map[uint64]bool // until the record is forgotten (forget)
}

// start returns the context of job id's execution under parent, false if
// the job ended before it.
func (e *execCuts) start(parent context.Context, id uint64) (context.Context, func(), bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended[id] {
		return nil, nil, false
	}
	ctx, cancel := context.WithCancelCause(parent)
	if e.running == nil {
		e.running = map[uint64]context.CancelCauseFunc{}
	}
	e.running[id] = cancel
	return ctx, func() {
		e.mu.Lock()
		delete(e.running, id)
		e.mu.Unlock()
		cancel(nil)
	}, true
}

// end marks jobs ids ended, for a worker or a fetch that takes one later,
// and then stops their executions under way: all are marked before any
// worker is freed to take the next job.
func (e *execCuts) end(ids []uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended == nil {
		e.ended = map[uint64]bool{}
	}
	for _, id := range ids {
		e.ended[id] = true
	}
	for _, id := range ids {
		if cancel, ok := e.running[id]; ok {
			cancel(errJobEnded)
		}
	}
}

// isEnded reports whether job id ended before its result (end).
func (e *execCuts) isEnded(id uint64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ended[id]
}

// forget drops job id's mark (its record is gone).
func (e *execCuts) forget(id uint64) {
	e.mu.Lock()
	delete(e.ended, id)
	e.mu.Unlock()
}

// endWork stops the work of won jobs that ended before their results were
// sent: their fetches and their executions. Each is marked ended before
// its fetch is dropped, so that a download or a load whose context is
// made after the drop (not cancelled by it) finds the mark and loads
// nothing (startFetch). Pipeline goroutine.
func (a *Agent) endWork(ids []uint64) {
	ids = slices.DeleteFunc(ids, func(id uint64) bool { return !a.queued[id] })
	a.execs.end(ids)
	for _, id := range ids {
		a.fetches.drop(id, &a.ready)
	}
}

// startFetch returns the context of job id's download or load (cut at its
// abort point, inputcut.go), false if its job ended: a job retired as its
// download completed was queued for a slot after the drop, and its load
// read its model and dataset into memory in full for a job no worker runs
// (TestEndedJobDownloadedJustBeforeItsQueueIsLoadedInFull). An ended job's
// held file is released.
func (a *Agent) startFetch(ctx context.Context, id uint64) (context.Context, bool) {
	jctx := a.fetches.jobContext(ctx, id)
	if !a.execs.isEnded(id) {
		return jctx, true
	}
	a.fetches.fetched(id)
	a.fetches.release(id)
	return nil, false
}
