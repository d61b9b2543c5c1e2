package sidecar

import (
	"time"

	"github.com/aichain/aichain/jobexec"
)

// The model loads' memory: one budget. The running loads took
// ModelLoadBytes / MaxWeightsBytes slots of MaxWeightsBytes each, and the
// paused loads' kept bytes (loadslice.go) were bounded by ModelLoadBytes
// on their own, beside them: a model owner whose uris send most of a file
// at once and then trickle kept that second budget full while the slots
// ran, and the loads held twice what the README stated
// (TestAttackPausedLoadsKeepBytesBesideRunningLoads). Now both are drawn
// from ModelLoadBytes (B), at least MaxWeightsBytes (M):
//
//	running loads × M + the paused loads' kept buffers ≤ B
//
//   - a running load reserves M, the file's bytes its fetch may hold (its
//     own kept bytes, which it resumes, within it; jobexec's fetch grows
//     its buffer by doubling, up to twice that while the file arrives,
//     beside this bound); a paused load's kept buffer counts whole (its
//     capacity);
//   - a load starts beside running ones only when its reservation fits
//     beside theirs and the bytes kept; when none runs, kept bytes are
//     dropped to make room, so that one load always runs (a slice at a
//     time). Under contention fewer loads run (one at the defaults, B = 2
//     × M) and the rest of the budget keeps the paused loads' bytes;
//     without it (nothing kept) B / M run at once, as before;
//   - the bytes dropped first are those whose last slice brought the
//     fewest (a trickle loses little; a server that ignores the Range will
//     send the file from zero anyway), the longest kept first among
//     equals; a load's own bytes are never dropped to start it. A dropped
//     load keeps its slices (its place behind the loads that had fewer),
//     and its next run fetches the uri from its start, held to the fetch
//     policy's rates over all the time its runs took
//     (jobexec.PartialFetch.DropBytes), not with a fresh Timeout: a uri
//     that sends a burst to take room and then trickles is cut off as a
//     trickle is (TestDroppedLoadBytesKeepTheirTime; jobexec
//     TestAttackResumedTrickleGetsNoFreshTimeout);
//   - a pause keeps at most M (the reservation it frees): a buffer grown
//     past it is dropped; and one copy of a file, the one that holds more
//     of it: of a paused load and the bytes kept of its file's load under
//     other uris (loadkey.go), the lesser is dropped (dropping the other's
//     at every pause, two loads of a file pausing in turn each started from
//     zero at every run and neither got past a slice:
//     TestAttackSecondURIOfAFileDropsItsLoadEverySlice);
//   - at most partialsKept loads' bytes are kept, each for partialTTL;
//     the time and slices of up to loadTimesKept loads are kept (a
//     PartialFetch without bytes, a few hundred bytes each), the longest
//     kept going first, for up to loadTimeTTL (an hour): when they shared partialsKept,
//     seventeen trickling models paused in turn pushed each other's out
//     (TestAttackManyTricklingModelsPushOutEachOthersTime), and when they
//     went after partialTTL, a load that other loads kept paused that long
//     lost them (TestAttackLoadPausedPastTTLGetsAFreshTimeout): each came
//     back with a fresh Timeout and no slices.
//
// Every drop is counted (Metrics.LoadPartialsDropped) and logged: never
// silent.

// loadPartial is what loadPartials keeps of a paused load.
type loadPartial struct {
	pf     *jobexec.PartialFetch // its bytes dropped (bytes 0), it keeps its time
	bytes  int64                 // pf's buffer when kept (pf.Bytes)
	recv   int64                 // the file's bytes it holds (pf.Received)
	gained int64                 // what its last slice brought
	slices int                   // the slices its runs have had
	at     time.Time             // when it was kept
}

// loadPartials keeps the partial fetches of the loads cut by their slice,
// within the budget it shares with the running loads; under
// modelLoads.mu.
type loadPartials struct {
	max  int64 // ModelLoadBytes: the running loads' reservations and the bytes kept
	each int64 // MaxWeightsBytes: a running load's reservation
	m    map[loadKey]loadPartial
	held int64 // the kept buffers' bytes
	// onDrop is told of every kept buffer dropped (n bytes, for why).
	onDrop func(k loadKey, n int64, why string)
}

// take removes k's partial fetch and returns it with the file's bytes it
// holds (a new one if none; its time without its bytes if they were kept
// more than partialTTL before now).
func (p *loadPartials) take(k loadKey, now time.Time) (*jobexec.PartialFetch, int64) {
	p.expire(now)
	e, ok := p.m[k]
	p.remove(k)
	if !ok || e.pf == nil {
		return &jobexec.PartialFetch{}, 0
	}
	return e.pf, e.recv
}

// slices is how many slices k's load has had, from what is kept of it.
func (p *loadPartials) slices(k loadKey) int { return p.m[k].slices }

// put keeps pf, the partial fetch of k's load after its run's slices-th
// slice (before: the file's bytes it held when the slice began); the
// buffer is dropped when over a running load's reservation. Its run has
// given its reservation back, so the budget holds.
func (p *loadPartials) put(k loadKey, pf *jobexec.PartialFetch, before int64, slices int, now time.Time) {
	e := loadPartial{pf: pf, bytes: pf.Bytes(), recv: pf.Received(), slices: slices, at: now}
	e.gained = max(e.recv-before, 0)
	if p.m == nil {
		p.m = map[loadKey]loadPartial{}
	}
	p.remove(k)
	p.expire(now)
	if e.bytes > p.each {
		p.notify(k, e.bytes, "more than a running load's reservation (MaxWeightsBytes)")
		pf.DropBytes()
		e.bytes, e.recv = 0, 0
	}
	// One copy of a file: the one that holds more of it (the one kept on
	// a tie), so that the loads of a file under two uris, pausing in turn,
	// do not drop each other's at every pause and start from zero at every
	// run (TestAttackSecondURIOfAFileDropsItsLoadEverySlice).
	for o, c := range p.m {
		switch {
		case o.file() != k.file() || c.bytes == 0 || e.bytes == 0:
		case c.recv >= e.recv:
			p.notify(k, e.bytes, "a load of the same file under other uris keeps as much of it")
			pf.DropBytes()
			e.bytes, e.recv = 0, 0
		default:
			p.notify(o, c.bytes, "a load of the same file under other uris paused with more of it")
			p.dropBytes(o)
		}
	}
	for e.bytes > 0 && p.buffers() >= partialsKept {
		v, ok := p.victim(k)
		if !ok {
			break
		}
		p.notify(v, p.m[v].bytes, "more paused loads' bytes than are kept")
		p.dropBytes(v)
	}
	for len(p.m) >= loadTimesKept {
		v, ok := p.oldestDropped()
		if !ok {
			if v, ok = p.victim(k); !ok {
				break
			}
			p.notify(v, p.m[v].bytes, "more paused loads than are kept")
		}
		p.remove(v)
	}
	p.m[k] = e
	p.held += e.bytes
}

// fits reports whether k's load can start beside running others: its
// reservation beside theirs and the bytes kept but its own.
func (p *loadPartials) fits(k loadKey, running int) bool {
	return int64(running+1)*p.each+p.held-p.m[k].bytes <= p.max
}

// makeRoom drops the kept bytes of loads other than k's until k's load
// fits beside running others (or none are left).
func (p *loadPartials) makeRoom(k loadKey, running int, now time.Time) {
	p.expire(now)
	for !p.fits(k, running) {
		v, ok := p.victim(k)
		if !ok {
			return
		}
		p.notify(v, p.m[v].bytes, "room for a load to start")
		p.dropBytes(v)
	}
}

// loadTimesKept bounds the paused loads whose time and slices are kept,
// with their bytes or without.
const loadTimesKept = 1024

// loadTimeTTL is how long a paused load's time and slices are kept without
// its bytes: six times partialTTL, itself past a job's verification
// window. A load paused that long belongs to checks long ended; a job on
// the model days later starts its load afresh.
const loadTimeTTL = 6 * partialTTL

// buffers is how many paused loads keep bytes.
func (p *loadPartials) buffers() int {
	n := 0
	for _, c := range p.m {
		if c.bytes > 0 {
			n++
		}
	}
	return n
}

// dropBytes drops k's kept bytes, keeping its slices and its time.
func (p *loadPartials) dropBytes(k loadKey) {
	e := p.m[k]
	p.held -= e.bytes
	if e.pf != nil {
		e.pf.DropBytes() // its time is kept
	}
	e.bytes, e.recv = 0, 0
	p.m[k] = e
}

// victim is the load whose kept bytes go first, other than but's: the one
// whose last slice brought the fewest, then the longest kept.
func (p *loadPartials) victim(but loadKey) (loadKey, bool) {
	var best loadKey
	var e loadPartial
	found := false
	for k, c := range p.m {
		if k == but || c.bytes == 0 {
			continue
		}
		if !found || c.gained < e.gained || (c.gained == e.gained && c.at.Before(e.at)) {
			best, e, found = k, c, true
		}
	}
	return best, found
}

// oldestDropped is the longest kept of the loads whose bytes were
// dropped (what is kept of them is their slices and time).
func (p *loadPartials) oldestDropped() (loadKey, bool) {
	var best loadKey
	var at time.Time
	found := false
	for k, c := range p.m {
		if c.bytes == 0 && (!found || c.at.Before(at)) {
			best, at, found = k, c.at, true
		}
	}
	return best, found
}

// expire drops the bytes kept more than partialTTL before now, keeping
// their loads' time and slices (loadTimesKept bounds those), and forgets
// loads paused more than loadTimeTTL before now.
func (p *loadPartials) expire(now time.Time) {
	for k, e := range p.m {
		switch age := now.Sub(e.at); {
		case age > loadTimeTTL:
			if e.bytes > 0 {
				p.notify(k, e.bytes, "kept past its time")
			}
			p.remove(k)
		case e.bytes > 0 && age > partialTTL:
			p.notify(k, e.bytes, "kept past its time")
			p.dropBytes(k)
		}
	}
}

func (p *loadPartials) remove(k loadKey) {
	p.held -= p.m[k].bytes
	delete(p.m, k)
}

func (p *loadPartials) notify(k loadKey, n int64, why string) {
	if p.onDrop != nil {
		p.onDrop(k, n, why)
	}
}

// droppedLocked counts and logs n kept bytes of k's load dropped, for
// why. v.loads.mu is held.
func (v *Verifier) droppedLocked(k loadKey, n int64, why string) {
	v.metrics.LoadPartialsDropped.Inc()
	v.log.Debug("a paused model load's kept bytes dropped", "kind", k.kind, "sha256", k.sha, "model", k.id,
		"bytes", n, "why", why)
}
