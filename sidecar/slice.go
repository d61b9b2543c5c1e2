package sidecar

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Time slicing. A fetch is bounded per chunk (FetchRetries × FetchTimeout
// and the busy budget), not per check: a provider that served every sampled
// chunk correctly but each just inside FetchTimeout held a worker for
// samples × FetchTimeout (2048 bought samples: hours), nothing failed so its
// job was never put behind another, and no check was ever cut short for a
// more urgent one. Two such jobs held both default workers of every
// validator's sidecar, and honest jobs ended their windows without a verdict
// (inconclusive: their providers unpaid;
// TestAttackSlowValidChunksParkEveryWorker). Now:
//   - a job's rank (jobRank) counts the workers' time its checks have taken
//     in slices of CheckSlice (its level): a job that has had less goes
//     first, then one not failing, then the window that ends first;
//   - Poll takes a worker back (preempt) for a queued job that comes before
//     a running check (of chunks or inputs), when no worker is idle: at
//     once for a job never checked (each new job does so once, so a running
//     check is cut short no more often than jobs arrive), otherwise only
//     once the running check's slice has run CheckSlice (no two jobs trade
//     a worker faster);
//   - taking a worker back cancels the check's chunk fetches, the
//     provider's weights transfer (slicedMirror: what it brought is kept by
//     partialWeights, and the next slice asks for the rest) and the check's
//     wait on its model's load (which runs outside the pool and goes on:
//     modelload.go), not its recomputations; the check yields, keeps what
//     it verified (chunkProgress: how many of the sampled chunks, in order,
//     and what is left of its busy budget) and is queued again; the next
//     slice goes on from there and never fetches a verified chunk again;
//   - only a check that verified every sampled chunk is VALID; a chunk that
//     differs from its recomputation is INVALID at once; a failed fetch ends
//     the check as before (UNAVAILABLE only across the span). A slice that
//     yields is no failure, no abstention and no poll served: it counts
//     toward neither the span, nor maxAbstentions, nor a restart of either;
//   - the busy budget (MaxRetryAfter) is one check's, all its slices
//     together: a slice does not start it again (a provider answering busy
//     cannot have it once per slice); a check that ends (a verdict, a failed
//     fetch, an abstention) hands the next one a whole budget, as before.
//
// An aborted job's input check is sliced the same way: it waits on its
// model's load and between its attempts under the slice, and goes on from
// the attempt it was at (inputsProgress, inputs.go); a worker taken back
// from it is no failure either.

// chunkProgress is what one job's check of its sampled chunks has done,
// kept on the job across slices: a count and a budget, never chunk bytes.
type chunkProgress struct {
	// verified: pv.Indices[:verified] were served, their proofs verified and
	// their recomputations matched. Kept after a check that failed or
	// abstained too: a verified chunk is not fetched again.
	verified int
	// inCheck: a check is under way (a slice yielded); busy is what is left
	// of its budget.
	inCheck bool
	busy    busyBudget
	// inputs: where an aborted job's input check stands (inputs.go).
	inputs inputsProgress
}

// slicedMirror is m under the running slice (slice) as well as its
// caller's context: taking the worker back cuts the provider's weights
// transfer as it cuts a chunk fetch. The load was not sliced, and a
// provider whose model's uri fails sent junk as the weights under the
// policy's average rate, each transfer cut at its Timeout with more than
// freeCutBytes (a free attempt), Range after Range: two such jobs held both
// workers of every sidecar for their whole windows, and the honest jobs
// got no verdict (TestAttackTricklingWeightsMirrorHoldsEveryWorker). What
// the transfer brought is kept (partialWeights), so an honest provider's
// transfer goes on from there at the next slice.
func slicedMirror(slice context.Context, m jobexec.WeightsMirror) jobexec.WeightsMirror {
	return func(ctx context.Context, sha string) (workload.Checked, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(slice, cancel)()
		return m(ctx, sha)
	}
}

// resume starts a check's slice from p: the budget of the check under way,
// or a whole one for a new check.
func (v *Verifier) resume(p *chunkProgress) *busyBudget {
	if !p.inCheck {
		p.inCheck, p.busy = true, *v.newBusyBudget()
	}
	return &p.busy
}

// yielded reports a check whose fetches the scheduler cancelled (fetchCtx)
// while its job goes on (ctx).
func yielded(ctx, fetchCtx context.Context) bool {
	return fetchCtx.Err() != nil && ctx.Err() == nil
}

// sameSample reports two reads of a job that ask for the same chunks of the
// same result: what a chunkProgress counted still holds.
func sameSample(a, b computetypes.PendingVerification) bool {
	return a.ChunkCount == b.ChunkCount && bytes.Equal(a.OutputRoot, b.OutputRoot) && slices.Equal(a.Indices, b.Indices)
}

// jobRank orders jobs for the workers, most urgent first: the fewest slices
// of workers' time taken (level), not failing, the earliest window end, the
// lowest id.
type jobRank struct {
	level   int64
	failing bool
	end     int64
	id      uint64
}

func (r jobRank) less(o jobRank) bool {
	switch {
	case r.level != o.level:
		return r.level < o.level
	case r.failing != o.failing:
		return !r.failing
	case r.end != o.end:
		return r.end < o.end
	}
	return r.id < o.id
}

// rank is the job's rank with its finished slices.
func (js *jobState) rank() jobRank {
	return jobRank{level: js.level, failing: !js.fresh(), end: js.pv.VerificationEnd, id: js.pv.JobId}
}

// rankAt is the rank of a running job at now, its slice so far counted.
func (js *jobState) rankAt(now time.Time, slice time.Duration) jobRank {
	r := js.rank()
	r.level = int64((js.used + now.Sub(js.sliceStart)) / slice)
	return r
}

// endSlice adds the slice that just ended to the job's time. v.mu is held.
func (v *Verifier) endSlice(js *jobState) {
	js.used += time.Since(js.sliceStart)
	js.level = int64(js.used / v.cfg.CheckSlice)
}

// sliceOf returns the fetch context of job id's running slice and its
// check's progress so far; false when the job is no longer under check.
func (v *Verifier) sliceOf(ctx context.Context, id uint64) (context.Context, chunkProgress, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	js := v.jobs[id]
	if js == nil || !js.running {
		return nil, chunkProgress{}, false
	}
	if js.slice == nil {
		return ctx, js.progress, true
	}
	return js.slice, js.progress, true
}

// settle ends the running slice of job id, whose check of pv ended with p
// (yielded: cut short by preempt, queued again to go on from p), and
// returns the job to record the check's outcome on: nil when there is none
// (the job dropped while checked; ctx cancelled: dropped, window over, or
// shutting down; or yielded). v.mu is held.
func (v *Verifier) settle(ctx context.Context, id uint64, pv computetypes.PendingVerification, p chunkProgress, yielded bool) *jobState {
	js := v.jobs[id]
	if js == nil || !js.running {
		return nil
	}
	cancelled := ctx.Err() != nil
	js.running, js.slice = false, nil
	js.stop()
	v.endSlice(js)
	if cancelled {
		return nil
	}
	js.keepProgress(pv, p, yielded)
	if yielded {
		js.queued = true
		v.log.Debug("check yielded its worker; queued again", "job", id,
			"verified", p.verified, "samples", len(pv.Indices), "level", js.level)
		return nil
	}
	return js
}

// keepProgress records what the check of pv did in p, if js still asks for
// the same chunks, and whether the check goes on (yielded). v.mu is held.
func (js *jobState) keepProgress(pv computetypes.PendingVerification, p chunkProgress, yielded bool) {
	if !sameSample(js.pv, pv) {
		return
	}
	p.inCheck = p.inCheck && yielded
	if !yielded {
		p.inputs = inputsProgress{} // the next input check starts from its first attempt
	}
	js.progress = p
}

// preempt takes workers back for the queued jobs that come before running
// checks when no worker is idle to take them: the least urgent
// running check first, cut short at once for a job never checked, otherwise
// only once its slice has run CheckSlice. v.mu is held.
func (v *Verifier) preempt(now time.Time) {
	idle := v.cfg.Workers
	var victims []*jobState
	for _, js := range v.jobs {
		if !js.running {
			continue
		}
		idle--
		if js.yield != nil {
			victims = append(victims, js)
		}
	}
	idle = max(idle, 0)
	if len(victims) == 0 {
		return
	}
	waiting := v.mostUrgentQueued(idle + len(victims))
	waiting = waiting[min(idle, len(waiting)):] // taken by idle workers
	sort.Slice(victims, func(i, j int) bool {
		return victims[j].rankAt(now, v.cfg.CheckSlice).less(victims[i].rankAt(now, v.cfg.CheckSlice))
	})
	for _, q := range waiting {
		if len(victims) == 0 {
			return
		}
		r := victims[0]
		if !q.rank().less(r.rankAt(now, v.cfg.CheckSlice)) || (q.checked && now.Sub(r.sliceStart) < v.cfg.CheckSlice) {
			continue
		}
		r.yield()
		r.yield = nil
		victims = victims[1:]
	}
}

// mostUrgentQueued returns the k most urgent queued jobs, most urgent
// first. v.mu is held.
func (v *Verifier) mostUrgentQueued(k int) []*jobState {
	if k <= 0 {
		return nil
	}
	out := make([]*jobState, 0, k+1)
	for _, js := range v.jobs {
		if !js.queued {
			continue
		}
		r := js.rank()
		i := sort.Search(len(out), func(i int) bool { return r.less(out[i].rank()) })
		if i >= k {
			continue
		}
		out = slices.Insert(out, i, js)
		if len(out) > k {
			out = out[:k]
		}
	}
	return out
}
