package sidecar

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Scheduling (issue 15). Verification must not be cheap to clog, and an
// outage must not pass for withholding:
//   - the workers take the job whose checks have had the fewest slices of
//     their time (CheckSlice), then one not yet failing before one tried
//     again after a failed fetch, then the queued job whose window ends
//     first (then the lowest id), not the oldest (jobState.before); a
//     running check of chunks is cut short for a job that comes before it,
//     and goes on later from the chunks it verified (slice.go);
//   - each check runs under a context of its own, cancelled when its job
//     leaves the pending list or its window ends (the height of a poll
//     reaches verification_end), so no work outlives the window;
//   - a failed fetch is UNAVAILABLE only once the provider has failed at
//     polls spanning unavailable_span_blocks (from the chain) and only while
//     this sidecar's own connectivity check passes; before that, or when
//     the check fails, the job is tried again at the next poll;
//   - a poll at which the provider served every chunk its check asked for
//     restarts the span, even when the check then ended without a verdict;
//   - a check that ends without a verdict (the job could not be run or
//     recomputed) is tried again, maxAbstentions checks in all;
//   - an input check whose dataset server answered busy is tried again at
//     later polls, as many as it takes, and is DATASET_UNAVAILABLE once the
//     server has been busy across the bound of busyFor (which, as the span,
//     starts again after a poll with this sidecar's own network down);
//   - with more verdicts ready than fit in one extension, Ready sends a
//     window of them that rotates with the height.

// defaultSpanBlocks is the span used with a node that does not say it.
const defaultSpanBlocks = 10

// jobState is what the verifier knows of one pending job.
type jobState struct {
	pv      computetypes.PendingVerification
	verdict computetypes.Verdict // UNSPECIFIED with done: abstained
	done    bool
	queued  bool
	running bool
	cancel  context.CancelFunc
	// failingSince is the height of the poll at which fetching first failed
	// with this sidecar's network up, or (an input check) the dataset's
	// server was first busy (0: not failing). A poll at which this
	// sidecar's own network was down resets it: both spans then start again;
	// so does a poll at which the provider served every chunk asked for.
	failingSince int64
	// abstained counts the checks that ended without a verdict (the job
	// could not be run or recomputed here): tried again at later polls, up
	// to maxAbstentions, then given up.
	abstained int
	// Time slicing (slice.go): checked once a check has run; used is the
	// workers' time of its finished slices, level that in CheckSlices;
	// sliceStart is when the running slice began, yield cancels its fetches
	// (nil once used); progress is what its check of the chunks has done.
	checked    bool
	used       time.Duration
	level      int64
	sliceStart time.Time
	slice      context.Context
	yield      context.CancelFunc
	progress   chunkProgress
}

// maxAbstentions is how many checks of a job may end without a verdict
// before the sidecar gives up on it: a check that could not run because
// the node was briefly unreachable (an upgrade's restart) or the backend
// failed once is tried again; a workload this sidecar cannot run at all
// costs three quick failures.
const maxAbstentions = 3

// Poll reads the pending jobs once: it forgets jobs no longer pending (and
// cancels their checks), cancels the checks of jobs whose window has ended,
// and queues the jobs without a verdict. A read that failed or timed out
// after some pages keeps them (Truncated) and returns its error once they
// are queued.
func (v *Verifier) Poll(ctx context.Context) error {
	res, err := v.readPending(ctx)
	if err != nil && res.Height == 0 {
		return err
	}
	if res.Truncated {
		v.log.Warn("the pending list was not read whole; the most urgent jobs read are queued, the rest wait for a later poll",
			"kept", len(res.Jobs), "max", maxPollJobs)
	}
	v.mu.Lock()
	seen := make(map[uint64]bool, len(res.Jobs))
	for _, pv := range res.Jobs {
		seen[pv.JobId] = true
		js := v.jobs[pv.JobId]
		if js == nil {
			js = &jobState{}
			v.jobs[pv.JobId] = js
		}
		if !sameSample(js.pv, pv) {
			js.progress = chunkProgress{} // counted against other chunks
		}
		js.pv = pv // a window extended by the chain moves verification_end
		switch {
		case res.Height >= pv.VerificationEnd:
			js.queued = false
			js.stop()
		case !js.done && !js.running:
			js.queued = true
		}
	}
	v.forgetUnread(seen, res)
	v.preempt(time.Now())
	v.height = res.Height
	v.metrics.Pending.Set(float64(len(res.Jobs)))
	v.mu.Unlock()
	for i := 0; i < v.cfg.Workers; i++ {
		select {
		case v.wake <- struct{}{}:
		default:
		}
	}
	return err
}

// maxTrackedJobs bounds the jobs a verifier holds across truncated polls:
// those of this poll and, at most as many again, of earlier ones.
const maxTrackedJobs = 2 * maxPollJobs

// forgetUnread drops the jobs this poll did not list (seen): every one when
// the list was read whole. A truncated list says nothing of the jobs not
// read: they stay, queued or checked or with a verdict to send, but for
// those whose known window has ended at this height, and, past
// maxTrackedJobs, the least urgent not under check. Dropping every job not
// read had a slow listing cancel the checks and forget the verdicts of
// every job past its first pages. v.mu is held.
func (v *Verifier) forgetUnread(seen map[uint64]bool, res Pending) {
	var spare []uint64
	for id, js := range v.jobs {
		switch {
		case seen[id]:
		case !res.Truncated || res.Height >= js.pv.VerificationEnd:
			js.stop()
			delete(v.jobs, id)
		case !js.running:
			spare = append(spare, id)
		}
	}
	if over := len(v.jobs) - maxTrackedJobs; over > 0 {
		sort.Slice(spare, func(i, j int) bool {
			return lessUrgent(v.jobs[spare[i]].pv, v.jobs[spare[j]].pv, res.Height)
		})
		for _, id := range spare[:min(over, len(spare))] {
			delete(v.jobs, id)
		}
	}
}

func (js *jobState) stop() {
	if js.cancel != nil {
		js.cancel()
		js.cancel = nil
	}
	js.yield = nil // a child of cancel's context
}

// work runs checks until ctx ends, the most urgent job first.
func (v *Verifier) work(ctx context.Context) {
	for {
		id, pv, jctx, ok := v.next(ctx)
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-v.wake:
			case <-time.After(v.cfg.PollInterval):
			}
			continue
		}
		v.check(jctx, id, pv)
	}
}

// next takes the most urgent queued job (before) and gives it a context
// that its window's end or its leaving the pending list cancels, and a
// slice of it for fetches, which preempt cancels to take the worker back.
func (v *Verifier) next(ctx context.Context) (uint64, computetypes.PendingVerification, context.Context, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	best := v.mostUrgentQueued(1)
	if len(best) == 0 || ctx.Err() != nil {
		return 0, computetypes.PendingVerification{}, nil, false
	}
	js := best[0]
	jctx, cancel := context.WithCancel(ctx)
	sctx, yield := context.WithCancel(jctx)
	js.queued, js.running, js.cancel, js.yield = false, true, cancel, yield
	js.checked, js.sliceStart, js.slice = true, time.Now(), sctx
	return js.pv.JobId, js.pv, jctx, true
}

// before orders queued jobs (jobRank): the job whose checks have taken
// fewer slices of the workers' time (CheckSlice, slice.go) first, then a job
// no check has failed on yet (fresh) before one being tried again after a
// failed fetch or an abstention, then the window that ends first, then the
// lowest id. A failed check can take the whole fetch policy's time (a
// provider that trickles or stalls its chunks), and a failing job is queued
// again at every poll: first by window alone, a provider's failing jobs,
// submitted early so that their windows end first, would take the workers at
// every poll and hold back every honest job behind them toward the end of
// its window (inconclusive: its provider unpaid). Tried again only when no
// fresh job of its level waits, they cost the honest jobs one attempt each;
// a failed check that took a slice's time puts its job a level behind. A
// job whose chunks come slowly but correctly (nothing fails) goes a level
// behind for every slice it takes, so it cannot keep the workers from jobs
// that have had less. What remains: under a steady stream of fresh work a
// job that needs many slices, or a failing one, may not be checked to its
// end before its window ends, and then ends inconclusive (its provider
// unpaid, but its collateral kept).
func (js *jobState) before(o *jobState) bool { return js.rank().less(o.rank()) }

// fresh reports a job that no check has failed on yet.
func (js *jobState) fresh() bool { return js.failingSince == 0 && js.abstained == 0 }

// check verifies one job and records its verdict: a failed fetch becomes
// UNAVAILABLE only across the span, with this sidecar's network up; inputs
// or a dataset found absent with its network down are an abstention; a
// busy dataset server DATASET_UNAVAILABLE only across busyFor's bound.
func (v *Verifier) check(ctx context.Context, id uint64, pv computetypes.PendingVerification) {
	start := time.Now()
	fetchCtx, p, ok := v.sliceOf(ctx, id)
	if !ok {
		return // dropped before it started
	}
	o := v.checkOnce(ctx, fetchCtx, pv, &p)
	verdict, reason, busy := o.verdict, o.reason, o.busy
	connected := true
	if absent(verdict) && ctx.Err() == nil && v.cfg.Connectivity != nil {
		if err := v.cfg.Connectivity(ctx); err != nil {
			connected = false
			reason = "own connectivity check failed: " + err.Error()
			if verdict != computetypes.Verdict_VERDICT_UNAVAILABLE { // an input check: no evidence
				verdict, busy = computetypes.Verdict_VERDICT_UNSPECIFIED, false
			}
		}
	}
	v.mu.Lock()
	js := v.settle(ctx, id, pv, p, o.yielded)
	if js == nil {
		v.mu.Unlock()
		return // dropped, cancelled or yielded
	}
	if o.served {
		// The provider served every chunk this check asked for: whatever
		// the check ended with, it was up at this poll, and a failure
		// before it is not part of one outage with a failure after it.
		// Kept, two short outages around polls it served (an abstention of
		// this sidecar's own between them) added up to the span
		// (TestAttackSpanSurvivesServedChunks).
		js.failingSince = 0
	}
	if busy {
		if wait := js.busyFor(v.height); wait > 0 {
			v.mu.Unlock()
			v.log.Info("dataset server busy; trying again at a later poll", "job", id, "reason", reason,
				"blocks_left_before_unavailable", wait)
			return
		}
		verdict, reason = computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE, "busy across the bound: "+reason
	}
	if verdict == computetypes.Verdict_VERDICT_UNAVAILABLE {
		if wait := js.failing(connected, v.height); wait > 0 {
			v.mu.Unlock()
			v.log.Info("chunks not served; trying again at the next poll", "job", id, "reason", reason,
				"blocks_left_before_unavailable", wait)
			return
		}
	}
	if !connected && verdict == computetypes.Verdict_VERDICT_UNSPECIFIED {
		// Not the job's doing: tried again at the next poll, not counted,
		// and nothing seen before the outage counts after it: the busy
		// bound starts again, as failing restarts the UNAVAILABLE span
		// (TestAttackBusySpanSurvivesOwnOutage).
		js.failingSince = 0
		v.mu.Unlock()
		v.log.Info("inputs not found with this sidecar's network down; trying again at the next poll", "job", id, "reason", reason)
		return
	}
	if verdict == computetypes.Verdict_VERDICT_UNSPECIFIED {
		if js.abstained++; js.abstained < maxAbstentions {
			v.mu.Unlock()
			v.log.Info("cannot check the job; trying again at a later poll", "job", id, "reason", reason, "attempt", js.abstained)
			return
		}
	}
	js.verdict, js.done = verdict, true
	v.mu.Unlock()
	v.metrics.Verdicts.WithLabelValues(strings.TrimPrefix(verdict.String(), "VERDICT_")).Inc()
	v.metrics.Latency.Observe(time.Since(start).Seconds())
	v.log.Info("verdict ready", "job", id, "verdict", verdict.String(), "reason", reason,
		"samples", len(pv.Indices), "seconds", time.Since(start).Seconds())
}

// absent reports a verdict that something is not served (chunks, inputs,
// the dataset): one a sidecar whose own network is down must not send.
func absent(v computetypes.Verdict) bool {
	switch v {
	case computetypes.Verdict_VERDICT_UNAVAILABLE, computetypes.Verdict_VERDICT_INPUTS_UNAVAILABLE,
		computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE:
		return true
	}
	return false
}

// failing records a failed fetch at height h and returns how many more
// blocks the provider must keep failing before the verdict is UNAVAILABLE
// (0: now). With this sidecar's own network down the failure does not
// count, and the span starts again.
func (js *jobState) failing(connected bool, h int64) int64 {
	if !connected {
		js.failingSince = 0
		return 1
	}
	if js.failingSince == 0 || h < js.failingSince {
		js.failingSince = h
	}
	if left := js.failingSince + js.span() - h; left > 0 {
		return left
	}
	return 0
}

// span is the job's unavailable_span_blocks (defaultSpanBlocks from a node
// that does not say it).
func (js *jobState) span() int64 {
	if span := int64(js.pv.UnavailableSpanBlocks); span > 0 {
		return span
	}
	return defaultSpanBlocks
}

// busyFor records an input check whose dataset server was busy at its last
// attempt at height h, and returns how many more blocks the server may stay
// busy before it counts as unavailable (0: now). The bound is the earlier
// of two:
//   - busy at polls spanning unavailable_span_blocks, the span a provider
//     must fail across before it is UNAVAILABLE: a server busy for a few
//     seconds (its look-up pools full a moment) is not voted gone;
//   - half of what was left of the job's window when the server was first
//     busy. An aborted job's window is not extended (x/compute abort.go),
//     and the chain caps the span at the window, not below it: with a span
//     as long as the window, or a sidecar that first asks late in it, the
//     span alone would end the window with no verdict, no quorum, and the
//     abort standing with the dataset fee paid, so an owner answering busy
//     for ever would keep its fee. Half leaves the other half of what was
//     left for the verdict to reach a vote.
//
// A busy server is a server that cannot serve the winner either: busy for
// the whole bound, it is unavailable to the job. A poll at which this
// sidecar's own network was down restarts the bound (check): busy at two
// polls with nothing known between them is not busy across it. Busy polls
// are not abstentions (maxAbstentions): the check is tried as often as it
// takes.
func (js *jobState) busyFor(h int64) int64 {
	if js.failingSince == 0 || h < js.failingSince {
		js.failingSince = h
	}
	bound := min(js.span(), (js.pv.VerificationEnd-js.failingSince)/2)
	if left := js.failingSince + bound - h; left > 0 {
		return left
	}
	return 0
}

// Ready returns the verdicts ready for the vote at height, by job id: all
// of them, or, with more than MaxVerdictsPerExtension ready, a window of
// that many that rotates with the height, so that every verdict is sent
// within a few heights whatever its job id. Jobs this sidecar abstained on
// are left out.
func (v *Verifier) Ready(height int64) []computetypes.JobVerdict {
	v.mu.Lock()
	out := make([]computetypes.JobVerdict, 0, len(v.jobs))
	for id, js := range v.jobs {
		if js.done && js.verdict != computetypes.Verdict_VERDICT_UNSPECIFIED {
			out = append(out, computetypes.JobVerdict{JobId: id, Verdict: js.verdict})
		}
	}
	v.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].JobId < out[j].JobId })
	const limit = computetypes.MaxVerdictsPerExtension
	if len(out) <= limit {
		return out
	}
	n := uint64(len(out))
	first := uint64(max(height, 0)) % n * limit % n
	window := make([]computetypes.JobVerdict, 0, limit)
	for i := uint64(0); i < limit; i++ {
		window = append(window, out[(first+i)%n])
	}
	sort.Slice(window, func(i, j int) bool { return window[i].JobId < window[j].JobId })
	return window
}

// ProbeConnectivity returns a connectivity check that passes when any of
// urls answers an HTTP request (any status) within timeout; no urls: nil
// (no check).
func ProbeConnectivity(client *http.Client, urls []string, timeout time.Duration) func(context.Context) error {
	if len(urls) == 0 {
		return nil
	}
	return func(ctx context.Context) error {
		var lastErr error
		for _, u := range urls {
			pctx, cancel := context.WithTimeout(ctx, timeout)
			req, err := http.NewRequestWithContext(pctx, http.MethodHead, u, nil)
			if err == nil {
				var res *http.Response
				if res, err = client.Do(req); err == nil {
					_ = res.Body.Close()
					cancel()
					return nil
				}
			}
			cancel()
			lastErr = err
		}
		return lastErr
	}
}
