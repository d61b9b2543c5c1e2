package sidecar

import (
	"context"
	"errors"
	"time"

	"github.com/aichain/aichain/jobexec"
)

// Model loads are sliced as the workers are. A load fetched its model's
// uri in one request and held its slot to its end: two hostile models
// whose uris trickled at just over the fetch policy's rates held both
// slots for its Timeout (2 minutes; Timeout + size / AvgRate, 6.3 minutes,
// for 1 GiB of junk at the average rate), and an honest job whose model was
// not loaded yet waited for them, past its verification window
// (TestAttackTricklingModelsHoldEveryModelLoadSlot). Now:
//   - a load's run holds its slot for a slice (CheckSlice) at a time: at
//     the end of each, if a queued load of another model is wanted (a check
//     waits on it, or asked within CheckSlice), the run is cut and queued
//     again, its slot going to the queued load that has had the fewest
//     slices, the most urgent job's first among those (modelLoad.before);
//   - what its fetch of the uri received is kept (jobexec.PartialFetch) and
//     the run's next slice resumes it with a Range request from where it
//     stopped; a server that ignores the Range is fetched afresh, the bytes
//     discarded. The slices' fetches are held to the fetch policy's rates
//     as one transfer (a trickle is cut at its Timeout, slices or not; a
//     uri that cannot be resumed and is cut again and again fails as a
//     slow one, and its checks go to their providers), and the file is
//     checked whole against its sha256 at the end;
//   - the bytes kept are bounded: ModelLoadBytes in all, at most
//     partialsKept loads', each for partialTTL, the oldest dropped first
//     (a load whose bytes were dropped fetches its uri afresh); they are
//     dropped when the load ends, loaded or failed, so a failed model's
//     next run (after its failure memory) starts from zero.
//
// A run cut by its slice has no outcome: its checks go on waiting on it
// during their own slices.

// errLoadYielded is the cause of a run's context cut at the end of its
// slice.
var errLoadYielded = errors.New("the model load gave its slot back")

// loadPartial is what loadPartials keeps of a load's run.
type loadPartial struct {
	pf     *jobexec.PartialFetch
	slices int // the slices its runs have had
	at     time.Time
}

// loadPartials keeps the partial fetches of the loads cut by their slice;
// under modelLoads.mu.
type loadPartials struct {
	max int64 // bytes kept in all (ModelLoadBytes)
	m   map[loadKey]loadPartial
}

// take removes and returns the partial fetch kept of k's load (a new one
// if none, or kept more than partialTTL before now).
func (p *loadPartials) take(k loadKey, now time.Time) *jobexec.PartialFetch {
	e, ok := p.m[k]
	delete(p.m, k)
	if !ok || now.Sub(e.at) > partialTTL {
		return &jobexec.PartialFetch{}
	}
	return e.pf
}

// slices is how many slices k's load has had, from what is kept of it.
func (p *loadPartials) slices(k loadKey) int { return p.m[k].slices }

// put keeps pf, the partial fetch of k's load after its run's slices-th
// slice, dropping the oldest kept to make room.
func (p *loadPartials) put(k loadKey, pf *jobexec.PartialFetch, slices int, now time.Time) {
	n := pf.Bytes()
	if n > p.max {
		pf = &jobexec.PartialFetch{}
		n = 0
	}
	if p.m == nil {
		p.m = map[loadKey]loadPartial{}
	}
	delete(p.m, k)
	for len(p.m) > 0 && (p.held()+n > p.max || len(p.m) >= partialsKept) {
		var oldest loadKey
		var at time.Time
		for k, e := range p.m {
			if at.IsZero() || e.at.Before(at) {
				oldest, at = k, e.at
			}
		}
		delete(p.m, oldest)
	}
	p.m[k] = loadPartial{pf: pf, slices: slices, at: now}
}

func (p *loadPartials) held() int64 {
	var n int64
	for _, e := range p.m {
		n += e.pf.Bytes()
	}
	return n
}

// loadSlice ends a run's slices: each CheckSlice, it cuts the run (yield)
// when a queued load of another model is wanted, and otherwise lets it go
// on for another slice.
type loadSlice struct {
	t    *time.Timer
	done bool // the run ended: under modelLoads.mu
}

func (v *Verifier) sliceLoad(l *modelLoad, yield context.CancelCauseFunc) *loadSlice {
	s := &loadSlice{}
	v.loads.mu.Lock()
	defer v.loads.mu.Unlock()
	s.t = time.AfterFunc(v.cfg.CheckSlice, func() {
		v.loads.mu.Lock()
		defer v.loads.mu.Unlock()
		switch {
		case s.done:
		case v.othersWaitLocked(l, time.Now()):
			yield(errLoadYielded)
		default:
			s.t.Reset(v.cfg.CheckSlice)
		}
	})
	return s
}

func (v *Verifier) stopSlice(s *loadSlice) {
	v.loads.mu.Lock()
	defer v.loads.mu.Unlock()
	s.done = true
	s.t.Stop()
}

// othersWaitLocked reports whether a queued load that would start in l's
// slot is wanted: of a model with no run under way, a check waiting on
// it or asked within CheckSlice. v.loads.mu is held.
func (v *Verifier) othersWaitLocked(l *modelLoad, now time.Time) bool {
	busy := v.busyModelsLocked()
	delete(busy, modelOf(l.pv))
	for _, q := range v.loads.queue {
		if !busy[modelOf(q.pv)] && (q.waiting > 0 || now.Sub(q.asked) <= v.cfg.CheckSlice) {
			return true
		}
	}
	return false
}

// yieldLocked queues l again after its run was cut at the end of its
// slice, keeping pf, what its fetch received. v.loads.mu is held.
func (v *Verifier) yieldLocked(l *modelLoad, pf *jobexec.PartialFetch, now time.Time) {
	l.slices++
	l.asked = now
	v.loads.partials.put(loadKeyOf(l.pv), pf, l.slices, now)
	v.loads.queue = append(v.loads.queue, l)
}
