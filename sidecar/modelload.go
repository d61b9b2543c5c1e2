package sidecar

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/aichain/aichain/jobexec"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Model loads. A model's weights (fetched from its uri, or the uri its job
// keeps, then parsed) were loaded in the worker of the check that needed
// them, under the check's context and not its slice: cut, a load starts
// again from zero, so a large honest model would never load across slices.
// But then taking the worker back did not cut it either: a model owner
// whose uri trickled at just over the fetch policy's rates held a worker
// for the policy's Timeout (2 minutes), once per minute of failure memory,
// and the checks of the model's other jobs waited on that load in workers
// of their own (TestAttackTricklingModelURIHoldsEveryWorker); an aborted
// job's input check, never sliced, fetched the uri afresh at each of its
// attempts, 3 × 2 minutes per aborted job
// (TestAttackAbortedJobsInputCheckHoldsAWorker). Now:
//   - a model's load runs outside the worker pool, in the background: one
//     per weights file and the uris it asks (loadKey: the kind, the file's
//     sha256, the record's uri and the one the job keeps; those of one file
//     under several uris one after another: loadkey.go), shared by every
//     check of a model with that file and uris, and not tied to any of
//     them, so it goes
//     on, with the bytes it has received, while its checks yield and come
//     back (TestPreemptedModelLoadGoesOnWhereItStopped);
//   - a check waits on its model's load only during its own slice, and
//     yields its worker when the slice ends: a yield as a cut provider
//     transfer is (slicedMirror), no failure, its slice's time counted;
//     what the check does next (asking the job's provider for the weights
//     when the uri failed, reading the model from the resolver's memory,
//     or loading it again when the resolver no longer holds it) runs under
//     the slice;
//   - loads in flight are bounded: at most Workers, as many as the worker
//     pool ran, and at most ModelLoadBytes / MaxWeightsBytes, each holding
//     up to MaxWeightsBytes (ModelLoadBytes defaults to the resolver's
//     memory budget for models, jobexec.DefaultModelMemoryBytes: two files
//     of 1 GiB); at least one; and the running loads and the bytes the
//     paused ones keep share that one budget (loadbytes.go: a load starts
//     beside running ones only while its reservation fits beside theirs
//     and the bytes kept). A load past the bound is queued, and a freed
//     slot goes to the queued load asked for by the most urgent job
//     (jobRank: a job that has waited many slices on a hostile model goes
//     after a new one); a queued load that no check waits on and none
//     asked for within CheckSlice is dropped (its jobs ask again when they
//     run), so the queue holds loads checks want now;
//   - a load's run holds its slot for a slice at a time when other loads
//     wait, then gives it back keeping what it received, and resumes it
//     with a Range request (loadslice.go): a hostile model's uri holds a
//     slot for a slice, not for the fetch policy's Timeout
//     (TestAttackTricklingModelsHoldEveryModelLoadSlot);
//   - a load's outcome is kept for the fetch policy's FailureTTL after it
//     ends (a minute), as the resolver remembers a failed fetch: a model
//     that failed is not fetched again within it, and its checks go on to
//     their providers; each run asks the uri itself (jobexec.WithFreshFetch:
//     the resolver then remembers its failure at least as long as the
//     loader does, and a content mismatch stays remembered as it was);
//   - an aborted job's input check takes, at each of its attempts, only a
//     failure that ended after the attempt began, and otherwise has a new
//     run: every attempt still asks the uri, and no failure it did not see
//     decides it (TestAttackModelBlipVotesInputsGone);
//   - the loads end with Run's context, and Run returns once they have.

// modelLoad is one run of a model's load; its fields but key, pv, life
// and done are under modelLoads.mu.
type modelLoad struct {
	key  loadKey
	pv   computetypes.PendingVerification // the job of the check that asked first
	life context.Context                  // what the run runs under
	done chan struct{}                    // closed once err and ended are set
	err  error
	// ended is when the run ended (zero before); running, that it holds a
	// slot; waiting, the checks waiting on it now.
	ended   time.Time
	running bool
	waiting int
	// While queued: when a check last asked for it, and the rank of the
	// most urgent job that asked since CheckSlice before that.
	asked time.Time
	rank  jobRank
	// slices is how many slices its runs have had (loadslice.go).
	slices int
}

// before reports whether l's run takes a free slot before o's: the one
// that has had fewer slices, then the one asked for by the more urgent job.
func (l *modelLoad) before(o *modelLoad) bool {
	if l.slices != o.slices {
		return l.slices < o.slices
	}
	return l.rank.less(o.rank)
}

// serves reports whether a check asking at now takes l's outcome: while it
// runs or is queued, and once ended for ttl, a failure only when it ended
// at or after since (an input check's attempt: zero for any other check).
func (l *modelLoad) serves(since, now time.Time, ttl time.Duration) bool {
	if l.ended.IsZero() {
		return true
	}
	return now.Before(l.ended.Add(ttl)) && (l.err == nil || !l.ended.Before(since))
}

// modelLoads are a verifier's model loads.
type modelLoads struct {
	max int           // loads in flight at once (maxModelLoads)
	ttl time.Duration // how long an ended run's outcome is kept

	mu      sync.Mutex
	runs    map[loadKey]*modelLoad // the latest run of each model
	queue   []*modelLoad           // runs waiting for a slot
	running int
	stopped bool // Run has ended: no run starts
	// partials keeps what the runs cut by their slice received, within
	// the budget it shares with the running loads (loadbytes.go).
	partials loadPartials
	wg       sync.WaitGroup
}

func newModelLoads(cfg Config) *modelLoads {
	ttl := cfg.Fetch.FailureTTL
	if ttl <= 0 {
		ttl = jobexec.FetchDefaults().FailureTTL
	}
	return &modelLoads{max: cfg.maxModelLoads(), ttl: ttl, runs: map[loadKey]*modelLoad{},
		partials: loadPartials{max: cfg.ModelLoadBytes, each: cfg.MaxWeightsBytes}}
}

// maxModelLoads is how many model loads run at once: at most Workers and
// ModelLoadBytes / MaxWeightsBytes, at least one.
func (c *Config) maxModelLoads() int {
	return max(1, min(c.Workers, int(c.ModelLoadBytes/max(c.MaxWeightsBytes, 1))))
}

// awaitModel waits, within the slice of a check (fetchCtx; ctx is its
// job's), for a load of pv's model that a check asking since since takes
// (modelLoad.serves), and returns the load's error (nil: the model is
// loaded, or pv names none). ended is false, with fetchCtx's error, when
// the slice ended first.
func (v *Verifier) awaitModel(ctx, fetchCtx context.Context, pv computetypes.PendingVerification, since time.Time) (ended bool, err error) {
	if pv.ModelId == 0 || v.cfg.MLP == nil {
		return true, nil // nothing to load here: the kind's row says what is missing
	}
	key, err := v.awaitKey(fetchCtx, pv)
	if err != nil {
		return false, err
	}
	for {
		l := v.modelLoad(ctx, pv, key, since)
		ended, err := v.waitLoad(fetchCtx, l)
		// A run given up with the context it ran under (that of another
		// check, on a verifier not running) is not this check's outcome.
		if !ended || err == nil || l.life.Err() == nil || fetchCtx.Err() != nil {
			return ended, err
		}
	}
}

// awaitKey is the key of pv's model's load, the node asked again each
// PollInterval while it does not answer the model's record (loadkey.go);
// it fails only when ctx ends first.
func (v *Verifier) awaitKey(ctx context.Context, pv computetypes.PendingVerification) (loadKey, error) {
	for {
		key, err := v.loadKeyOf(ctx, pv)
		if !errors.Is(err, jobexec.ErrChainQuery) {
			return key, err
		}
		v.log.Debug("model load not started: the node did not answer its record", "model", pv.ModelId, "err", err)
		select {
		case <-ctx.Done():
			return key, ctx.Err()
		case <-time.After(v.cfg.PollInterval):
		}
	}
}

// waitLoad waits for l to end, or ctx.
func (v *Verifier) waitLoad(ctx context.Context, l *modelLoad) (bool, error) {
	defer func() {
		v.loads.mu.Lock()
		l.waiting--
		v.loads.mu.Unlock()
	}()
	select {
	case <-l.done:
		return true, l.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// modelLoad returns the run of key's load (pv's model's) that a check
// asking since since takes, a new one (started at once when a slot is
// free, queued otherwise) when there is none, counted as waited on.
func (v *Verifier) modelLoad(ctx context.Context, pv computetypes.PendingVerification, key loadKey, since time.Time) *modelLoad {
	rank, life, now := v.rankOf(pv.JobId), v.loadLife(ctx), time.Now()
	v.loads.mu.Lock()
	defer v.loads.mu.Unlock()
	v.pruneLocked(now)
	l := v.loads.runs[key]
	if l == nil || !l.serves(since, now, v.loads.ttl) {
		l = &modelLoad{key: key, pv: pv, life: life, done: make(chan struct{}), rank: rank, slices: v.loads.partials.slices(key)}
		v.loads.runs[key] = l
		v.loads.queue = append(v.loads.queue, l)
	}
	if l.ended.IsZero() && !l.running {
		if now.Sub(l.asked) > v.cfg.CheckSlice || rank.less(l.rank) {
			l.rank = rank
		}
		l.asked = now
	}
	l.waiting++
	v.startLoadsLocked(now)
	return l
}

// startLoadsLocked starts queued runs while slots are free and the
// budget has room (loadbytes.go), the one that has had the fewest slices
// first, then the one asked for by the most urgent job (modelLoad.before),
// and drops the queued runs no check wants now. Runs of one file under
// other uris (jobs that keep another) start one at a time: they would
// share the resolver's fetch of the model's uri, one transfer holding as
// many slots. v.loads.mu is held.
func (v *Verifier) startLoadsLocked(now time.Time) {
	ls := v.loads
	ls.queue = slices.DeleteFunc(ls.queue, func(l *modelLoad) bool {
		if l.waiting > 0 || now.Sub(l.asked) <= v.cfg.CheckSlice {
			return false
		}
		if ls.runs[l.key] == l {
			delete(ls.runs, l.key)
		}
		return true
	})
	busy := v.busyFilesLocked()
	for ls.running < ls.max && !ls.stopped {
		best := -1
		for i, l := range ls.queue {
			if !busy[l.key.file()] && (best < 0 || l.before(ls.queue[best])) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		l := ls.queue[best]
		if !ls.partials.fits(l.key, ls.running) {
			if ls.running > 0 {
				return // a run gives its slot back first
			}
			ls.partials.makeRoom(l.key, ls.running, now)
		}
		ls.queue = slices.Delete(ls.queue, best, best+1)
		busy[l.key.file()] = true
		l.running = true
		ls.running++
		pf, before := ls.partials.take(l.key, now)
		ls.wg.Add(1)
		go v.runLoad(l, pf, before)
	}
}

// busyFilesLocked is the files (no uri) with a run under way.
// v.loads.mu is held.
func (v *Verifier) busyFilesLocked() map[loadKey]bool {
	busy := map[loadKey]bool{}
	for k, l := range v.loads.runs {
		if l.running {
			busy[k.file()] = true
		}
	}
	return busy
}

// runLoad runs a slice of l: the model's load as an input check makes it,
// without a dataset and with no mirror, every uri asked afresh, resuming
// pf, what its earlier slices received (before bytes of the file:
// loadslice.go). A run cut by its slice is queued again; one that failed
// because its context ended, or because this sidecar's node did not
// answer the model's record, says nothing of the model: it is not kept.
func (v *Verifier) runLoad(l *modelLoad, pf *jobexec.PartialFetch, before int64) {
	defer v.loads.wg.Done()
	ctx, cancel := context.WithCancelCause(l.life)
	defer cancel(nil)
	slice := v.sliceLoad(l, cancel)
	err := jobexec.CheckInputs(jobexec.WithPartialFetch(jobexec.WithFreshFetch(ctx), pf), l.pv, v.cfg.MLP, nil)
	v.stopSlice(slice)
	now := time.Now()
	v.loads.mu.Lock()
	l.running = false
	v.loads.running--
	if err != nil && l.life.Err() == nil && errors.Is(context.Cause(ctx), errLoadYielded) {
		v.yieldLocked(l, pf, before, now)
		v.startLoadsLocked(now)
		v.loads.mu.Unlock()
		return
	}
	l.err, l.ended = err, now
	if err != nil && (l.life.Err() != nil || errors.Is(err, jobexec.ErrChainQuery)) && v.loads.runs[l.key] == l {
		delete(v.loads.runs, l.key)
	}
	v.startLoadsLocked(now)
	v.loads.mu.Unlock()
	close(l.done)
	if err != nil && l.life.Err() == nil {
		v.log.Debug("model load failed", "model", l.pv.ModelId, "kind", l.pv.Workload.Kind, "err", err)
	}
}

// pruneLocked forgets the runs ended and kept no longer. v.loads.mu is held.
func (v *Verifier) pruneLocked(now time.Time) {
	for k, l := range v.loads.runs {
		if !l.ended.IsZero() && !now.Before(l.ended.Add(v.loads.ttl)) {
			delete(v.loads.runs, k)
		}
	}
}

// forgetLoad forgets the run of pv's model's load that loaded it: a check
// cut after it, in a load of its own (the resolver no longer held the
// model), waits for a new run at its next slice, outside the pool. A
// failed run stays kept: the check was cut elsewhere.
func (v *Verifier) forgetLoad(ctx context.Context, pv computetypes.PendingVerification) {
	k, err := v.loadKeyOf(ctx, pv)
	if err != nil {
		return // the check's context ended (no next slice), or the node did not answer
	}
	v.loads.mu.Lock()
	defer v.loads.mu.Unlock()
	if l := v.loads.runs[k]; l != nil && !l.ended.IsZero() && l.err == nil {
		delete(v.loads.runs, k)
	}
}

// stopLoads waits for the runs under way to end; no run starts after it.
// Run calls it once its context has ended.
func (v *Verifier) stopLoads() {
	v.loads.mu.Lock()
	v.loads.stopped = true
	v.loads.mu.Unlock()
	v.loads.wg.Wait()
}

// rankOf is job id's rank (the zero rank, first, for a job not tracked:
// Verify called alone).
func (v *Verifier) rankOf(id uint64) jobRank {
	v.mu.Lock()
	defer v.mu.Unlock()
	if js := v.jobs[id]; js != nil {
		return js.rank()
	}
	return jobRank{}
}

// loadLife is the context loads run under: Run's, or, for a verifier not
// running (Verify called alone), ctx, that of the check that asks first.
func (v *Verifier) loadLife(ctx context.Context) context.Context {
	v.walkMu.Lock()
	defer v.walkMu.Unlock()
	if v.life != nil {
		return v.life
	}
	return ctx
}

// cut is the outcome of a check whose slice ended while it waited (on its
// model's load, or between an input check's attempts): a yield, or, its
// job's context ended too, an abstention.
func cut(ctx context.Context) outcome {
	if ctx.Err() != nil {
		return abstain("check cancelled: " + ctx.Err().Error())
	}
	return outcome{yielded: true}
}
