package provider

import (
	"context"
	"sort"
	"time"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Inputs that fail after award. A won job's model or dataset rows are
// fetched when it runs (the rows open to the winner only). A fetch that
// fails is tried again every few blocks through the first half of the
// execution window — a server briefly down is not worth an abort, and an
// abort whose inputs the validators find available costs the collateral like
// a timeout. Still failing past half the window, the agent sends
// MsgAbortJob (inputs unavailable): the validators' sidecars check the
// inputs, and if they find them gone too the collateral is released instead
// of forfeited.

// inputRetryBlocks is how many blocks the agent waits before fetching a
// failed job's inputs again.
const inputRetryBlocks = 3

// inputsFailed records a won job whose inputs could not be fetched: retried
// while the first half of its execution window lasts, else marked for abort.
func (a *Agent) inputsFailed(r *Record, err error) {
	a.metrics.ExecFailures.Inc()
	r.InputFailures++
	r.Error = err.Error()
	halfway := r.Deadline - int64(r.ExecBlocks/2)
	if r.Deadline > 0 && a.height+inputRetryBlocks < halfway {
		r.RetryAt = a.height + inputRetryBlocks
		delete(a.queued, r.ID)
		a.log.Warn("job inputs unavailable; trying again", "job", r.ID, "attempt", r.InputFailures, "retry_at", r.RetryAt, "err", err)
	} else {
		r.Abort = true
		a.log.Error("job inputs unavailable past half its window; aborting it", "job", r.ID, "attempts", r.InputFailures, "err", err)
	}
	a.touch(r)
}

// abort sends MsgAbortJob for the won jobs marked for it whose deadline the
// tx can meet.
func (a *Agent) abort(ctx context.Context) error {
	var items []item
	for id, r := range a.recs {
		if r.Phase != PhaseWon || !r.Abort || r.PendingTx != "" || (r.Deadline > 0 && a.height+1 > r.Deadline) {
			continue
		}
		items = append(items, item{id: id, msg: &computetypes.MsgAbortJob{
			Provider: a.me, JobId: id, Reason: computetypes.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE,
		}})
	}
	if len(items) == 0 {
		return nil
	}
	sort.Slice(items, func(i, j int) bool { return items[i].id < items[j].id })
	return a.sendAll(ctx, "abort", items, a.markSent, func(it item, err error) {
		a.log.Warn("abort refused by the node", "job", it.id, "err", err)
		if r, ok := a.recs[it.id]; ok {
			r.Abort = false // the chain says no (the job moved on): nothing more to send
			a.touch(r)
		}
	})
}

// aborted ends the record of a job whose abort is in a block: the chain
// decides the rest (x/compute abort.go); its chunks are none.
func (a *Agent) aborted(r *Record) {
	a.metrics.Aborts.Inc()
	r.Phase, r.EndedAt = PhaseEnded, time.Now().Unix()
	a.auth.endJob(r.ID)
}
