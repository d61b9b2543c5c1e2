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
//   - the bytes kept share one budget with the running loads
//     (ModelLoadBytes: loadbytes.go), and are dropped when the load ends,
//     loaded or failed, so a failed model's next run (after its failure
//     memory) starts from zero.
//
// A run cut by its slice has no outcome: its checks go on waiting on it
// during their own slices.

// errLoadYielded is the cause of a run's context cut at the end of its
// slice.
var errLoadYielded = errors.New("the model load gave its slot back")

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
// it or asked within CheckSlice (it may then have to wait for the other
// runs' slices to end too, for room in the budget). v.loads.mu is held.
func (v *Verifier) othersWaitLocked(l *modelLoad, now time.Time) bool {
	busy := v.busyFilesLocked()
	delete(busy, l.key.file())
	for _, q := range v.loads.queue {
		if !busy[q.key.file()] && (q.waiting > 0 || now.Sub(q.asked) <= v.cfg.CheckSlice) {
			return true
		}
	}
	return false
}

// yieldLocked queues l again after its run was cut at the end of its
// slice, keeping pf, what its fetch received (before, when the slice
// began). v.loads.mu is held.
func (v *Verifier) yieldLocked(l *modelLoad, pf *jobexec.PartialFetch, before int64, now time.Time) {
	l.slices++
	l.asked = now
	v.loads.partials.put(l.key, pf, before, l.slices, now)
	v.loads.queue = append(v.loads.queue, l)
}
