package provider

import (
	"context"
	"errors"
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

// end stops job id's execution if one is under way, and marks it ended for
// a worker that takes it later.
func (e *execCuts) end(id uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if cancel, ok := e.running[id]; ok {
		cancel(errJobEnded)
	}
	if e.ended == nil {
		e.ended = map[uint64]bool{}
	}
	e.ended[id] = true
}

// forget drops job id's mark (its record is gone).
func (e *execCuts) forget(id uint64) {
	e.mu.Lock()
	delete(e.ended, id)
	e.mu.Unlock()
}

// endWork stops the work of a won job that ended before its result was
// sent: its fetch and its execution. Pipeline goroutine.
func (a *Agent) endWork(id uint64) {
	if a.queued[id] {
		a.fetches.drop(id, &a.ready)
		a.execs.end(id)
	}
}
