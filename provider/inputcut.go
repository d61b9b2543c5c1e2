package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Inputs cut at the abort point. A won job is marked for abort when a fetch
// of its inputs fails past half its window (inputsFailed); one that never
// ends was never marked. A dataset or model server that takes the
// connection and then sends nothing, or trickles at the fetch policy's
// minimum rate, holds one download for over two minutes, longer than a
// short execution window: the job timed out with its fetch still under
// way and the provider forfeited its collateral, where an abort the
// validators uphold (the inputs unavailable to them too) releases it
// (TestAttackHangingDatasetDownloadOutlastsTheAbortDecision). So each
// block, a won job whose inputs are still being fetched (downloaded,
// loaded, or waiting for a fetch slot) once its window can no longer hold
// its estimate (inputCutHeight) has its fetch cut: it fails as a fetch
// does, and is marked for abort. The job could only time out from there;
// an abort does no worse (x/compute: an abort found false is a timeout).

// abortMarginBlocks is the blocks left between the cut and the deadline
// for the abort to land: it is sent in the step after the failure is
// recorded, and lands a block later, or a few when blocks are full.
const abortMarginBlocks = 4

// errInputsTooLate is the cause of a fetch cut at its job's abort point.
var errInputsTooLate = errors.New("the job's inputs were still being fetched when its window could no longer hold its execution")

// blocksOf is secs in blocks of the measured interval, rounded up.
func (a *Agent) blocksOf(secs float64) int64 {
	return int64(math.Ceil(secs / max(a.cap.blockTime().Seconds(), 1e-3)))
}

// inputCutHeight is the height from which a won job whose inputs are not
// fetched cannot run in its window: its deadline less its estimated
// execution (the estimate less its dataset's download, which the fetch
// still under way would end: downloadSeconds) and abortMarginBlocks, and no
// sooner than half its window (until which a failed fetch is tried again:
// inputsFailed).
func (a *Agent) inputCutHeight(r *Record) int64 {
	halfway := r.Deadline - int64(r.ExecBlocks/2)
	exec := max(r.EstSeconds-float64(r.DatasetBytes)/float64(max(a.cfg.DownloadRate, 1)), 0)
	return max(halfway, r.Deadline-a.blocksOf(exec)-abortMarginBlocks)
}

// cutLateInputs cuts the fetches of the won jobs past their
// inputCutHeight. Pipeline goroutine.
func (a *Agent) cutLateInputs() {
	for id, r := range a.recs {
		if r.Phase != PhaseWon || !a.queued[id] || r.Abort || r.Deadline <= 0 || a.height < a.inputCutHeight(r) {
			continue
		}
		cause := fmt.Errorf("%w (height %d, deadline %d)", errInputsTooLate, a.height, r.Deadline)
		if a.fetches.cut(id, cause) {
			a.inputsFailed(r, cause)
		}
	}
}

// jobContext is the context of job id's fetch, under parent: one per job
// from its download to the end of its load, which cut cancels.
func (q *fetchQueue) jobContext(parent context.Context, id uint64) context.Context {
	q.mu.Lock()
	defer q.mu.Unlock()
	if c, ok := q.cuts[id]; ok {
		return c.ctx
	}
	ctx, cancel := context.WithCancelCause(parent)
	if q.cuts == nil {
		q.cuts = map[uint64]jobCut{}
	}
	q.cuts[id] = jobCut{ctx: ctx, cancel: cancel}
	return ctx
}

// jobCut is the context of a job's fetch and its cancel.
type jobCut struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// fetched ends job id's fetch context: its inputs are fetched, or failed.
func (q *fetchQueue) fetched(id uint64) {
	q.mu.Lock()
	c, ok := q.cuts[id]
	delete(q.cuts, id)
	q.mu.Unlock()
	if ok {
		c.cancel(nil)
	}
}

// cut ends the fetch of job id's inputs for cause: a job waiting for a
// fetch slot leaves the queue (true: the caller records the failure), and
// a download or load under way is cancelled (its fetch reports the
// failure). A job whose inputs are fetched is not cut.
func (q *fetchQueue) cut(id uint64, cause error) (dequeued bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c, ok := q.cuts[id]
	for i, job := range q.waiting {
		if job.Id == id {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			delete(q.cuts, id)
			if ok {
				c.cancel(cause)
			}
			return true
		}
	}
	if ok {
		c.cancel(cause)
	}
	return false
}

// fetchErr is the error of a fetch whose context is jctx: its cut's cause
// when it was cut, else err.
func fetchErr(jctx context.Context, err error) error {
	if cause := context.Cause(jctx); err != nil && errors.Is(cause, errInputsTooLate) {
		return errors.Join(cause, err)
	}
	return err
}
