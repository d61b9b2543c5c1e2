package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	computetypes "github.com/aichain/aichain/x/compute/types"
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
// block, a won job whose inputs are still being downloaded or loaded, never
// fetched before, once its window can no longer hold its execution
// (inputCutHeight) has its fetch cut: it fails as a fetch does, and is
// marked for abort. Its server has held it past the point where the job
// could run; an abort does no worse than the timeout (x/compute: an abort
// found false is a timeout). A job waiting for a fetch slot is not cut.

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
		a.fetches.cut(id, fmt.Errorf("%w (height %d, deadline %d)", errInputsTooLate, a.height, r.Deadline))
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

// fetched ends job id's fetch context: its inputs are fetched, or failed
// (a yielded job's load too: its mark goes with it).
func (q *fetchQueue) fetched(id uint64) {
	q.mu.Lock()
	c, ok := q.cuts[id]
	delete(q.cuts, id)
	delete(q.yielded, id)
	q.mu.Unlock()
	if ok {
		c.cancel(nil)
	}
}

// cut cancels, for cause, the fetch under way (a download or a load) of
// job id's inputs, never fetched before. A job waiting for a fetch slot is
// left to wait: it asked its servers nothing yet, and may still run in the
// blocks left for its abort; nor is one whose inputs were fetched before
// it gave its slot up (yielded: admitLocked), whose load reads them from
// disk (TestYieldedJobIsNotCutAsAnUnfetchedOne).
func (q *fetchQueue) cut(id uint64, cause error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.yielded[id] || slices.ContainsFunc(q.waiting, func(j computetypes.Job) bool { return j.Id == id }) {
		return
	}
	if c, ok := q.cuts[id]; ok {
		c.cancel(cause)
	}
}

// drop ends the fetch of job id, whose job ended: it leaves the queue if
// it waits for a slot, a fetch under way is cancelled, and a fetched job
// waiting for a worker leaves ready, the workers' queue, and frees its
// slot with its inputs: it held them until a worker took it and skipped it
// (TestAttackEndedJobHoldsItsFetchSlotUntilAWorkerFrees).
func (q *fetchQueue) drop(id uint64, ready *workQueue) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.waiting = slices.DeleteFunc(q.waiting, func(j computetypes.Job) bool { return j.Id == id })
	delete(q.yielded, id)
	if l, ok := q.loaded[id]; ok {
		delete(q.loaded, id)
		if ready.remove(l.item) {
			close(l.ended)
		}
	}
	if c, ok := q.cuts[id]; ok {
		delete(q.cuts, id)
		c.cancel(errJobEnded)
	}
}

// fetchErr is the error of a fetch whose context is jctx: its cut's cause
// when it was cut, else err.
func fetchErr(jctx context.Context, err error) error {
	if cause := context.Cause(jctx); err != nil && errors.Is(cause, errInputsTooLate) {
		return errors.Join(cause, err)
	}
	return err
}
