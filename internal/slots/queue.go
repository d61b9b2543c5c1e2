package slots

import (
	"context"
	"math"
	"sync"
	"time"
)

// Queue hands its slots to the keys that wait for one by rank, not to
// whichever asks first: a request that finds no slot free keeps its key's
// place in the queue, and waits for a turn for up to the hold its caller
// gives; answered busy, its key keeps its place for Keep while it asks
// again. A slot that frees goes to the best-ranked key waiting for it then
// (Rank); a newcomer takes a free slot only when no key waiting is ranked
// before it. A key whose request was answered busy, or whose slot was
// taken back for others (Yield), still counts as waiting for Claim, the
// time it takes to ask again: the slot is kept for it when it ranks first.
// Keys are few (the bonded validators a weights server admits): one place
// each, at most MaxKeys.
//
// Counter's free-for-all gave a freed weights slot to whichever validator
// asked first, and hostile validators ask back to back: an honest
// validator that asks again when its Retry-After says lost every freed slot
// to them.
type Queue struct {
	Limit, PerKey int
	// MaxKeys bounds the keys queued; a new key past it is refused at once.
	MaxKeys int
	// Keep is how long a key keeps its place after a request of it was
	// answered busy, for it to ask again; Claim (at most Keep) how long it
	// counts as waiting then.
	Keep, Claim time.Duration
	// Age is the Progress a queued key with none gains per second it
	// waits: a newcomer passes the keys whose progress grows slower.
	Age int64

	mu    sync.Mutex
	total int
	byKey map[string]int
	// byGroup is the slots taken by group: what the keys asked for (a
	// file), which share the slots (zero value: ungrouped).
	byGroup map[string]int
	queued  map[string]*place
	seq     uint64
	// changed is closed, and replaced, whenever a slot frees or a waiting
	// request leaves (nil until someone waits).
	changed chan struct{}
}

// Rank orders the keys waiting for a slot: a key neither Behind nor Done
// before one that is, then the key holding fewer slots, then the key
// asking for the group with fewer slots taken, then a Fast key before one
// that is not (while no key that is not waits from before its Run began),
// then the more Progress first (a key counting Queue.Age for each second
// since it queued, where that is more), then the key that queued first.
type Rank struct {
	Behind bool // its reader fell behind the pace
	Done   bool // it was sent all it asks for before
	// Fast: it resumes what it is taking at a rate that keeps its turn,
	// however long the others have waited since Run, when the slot of its
	// run's first turn was taken (TakeAt; zero: before any key queued).
	// A turn is kept, not taken from those that waited before it began: a
	// wave of hostile validators that had queued before the honest one was
	// Fast once served, and held every slot until it had the file, wave
	// after wave (TestAttackWavesOnASmallModelHoldEverySlotPastTheSpan).
	Fast     bool
	Run      time.Time
	Progress int64 // how fast it is taking what it asks for, as the server counts it
}

// last reports whether r ranks after every key that is neither Behind nor
// Done.
func (r Rank) last() bool { return r.Behind || r.Done }

// place is a key's place in the queue.
type place struct {
	group   string
	rank    Rank
	since   time.Time // when it queued
	seq     uint64    // order of queuing
	waiting bool      // a request of the key waits for its turn
	asked   time.Time // when its last request left the queue busy, or its slot was yielded
}

// counts reports whether p counts as waiting at now: a request of it
// waits, or it may be on its way back (Claim from its last request). A
// key cannot make its claim last: asking again in its turn takes the slot.
func (q *Queue) counts(p *place, now time.Time) bool {
	return p.waiting || now.Sub(p.asked) < q.Claim
}

// before reports whether p, key pk's place, is served before o, key ok's,
// at now, where a Fast key whose run began after the first queuing of a
// key of its class waiting that is not Fast counts as not (eldest). q.mu
// is held.
func (q *Queue) before(pk string, p *place, ok string, o *place, now time.Time, eldest map[class]time.Time) bool {
	pc, oc := q.class(pk, p), q.class(ok, o)
	if pc.last != oc.last {
		return !pc.last
	}
	if pc.keys != oc.keys {
		return pc.keys < oc.keys
	}
	if pc.group != oc.group {
		return pc.group < oc.group
	}
	if pf, of := p.fast(eldest[pc]), o.fast(eldest[oc]); pf != of {
		return pf
	}
	if a, b := q.aged(p, now), q.aged(o, now); a != b {
		return a > b
	}
	return p.seq < o.seq
}

// class is what orders keys before Fast does: whether the key ranks last,
// the slots it holds, and those its group holds.
type class struct {
	last        bool
	keys, group int
}

// class is key's class, p its place. q.mu is held.
func (q *Queue) class(key string, p *place) class {
	return class{last: p.rank.last(), keys: q.byKey[key], group: q.byGroup[p.group]}
}

// fast reports whether p's Fast rank counts: no key of its class that is
// not Fast waits from before its run began (eldest: when the first of
// those queued; zero if none).
func (p *place) fast(eldest time.Time) bool {
	return p.rank.Fast && (eldest.IsZero() || !p.rank.Run.After(eldest))
}

// eldest is, for each class, when the first key of it counting as waiting
// at now that is not Fast queued: a Fast key whose run began after that
// does not keep its turn before it, nor, so that the order stays one
// order, before any other of its class. Only a key it could pass counts:
// a validator waiting for another model, behind the slots that model
// holds, turns off no Fast rank here. q.mu is held.
func (q *Queue) eldest(now time.Time) map[class]time.Time {
	var first map[class]time.Time
	for k, p := range q.queued {
		if p.rank.Fast || !q.counts(p, now) {
			continue
		}
		c := q.class(k, p)
		if t, ok := first[c]; !ok || p.since.Before(t) {
			if first == nil {
				first = map[class]time.Time{}
			}
			first[c] = p.since
		}
	}
	return first
}

// aged is p's Progress, or Age for each second since it queued
// (saturating), whichever is more. A key with a little Progress did not
// age: a validator whose transfer broke after a few hundred KiB ranked
// after one that asked later with none (found by review of 6b5174b,
// TestAttackValidatorWhoseTransferBrokeAtTheEndRanksLast once the tests'
// send buffers were scaled).
func (q *Queue) aged(p *place, now time.Time) int64 {
	gain := float64(q.Age) * now.Sub(p.since).Seconds()
	if gain >= math.MaxInt64 {
		return math.MaxInt64
	}
	return max(p.rank.Progress, int64(max(gain, 0)))
}

// Take takes a slot for key to serve group, at rank, when its turn comes
// within hold (0: only if it is its turn now) or until ctx ends. A key
// already at PerKey slots, or with another request waiting, is refused at
// once, as is a new key when MaxKeys are queued. Refused, the key keeps its
// place for Keep. The caller releases the slot with the same group.
func (q *Queue) Take(ctx context.Context, key, group string, rank Rank, hold time.Duration) bool {
	_, ok := q.TakeAt(ctx, key, group, rank, hold)
	return ok
}

// TakeAt is Take, and reports when the slot was taken, in the queue's
// order: a key that queues after it has a later since (Rank.Run).
func (q *Queue) TakeAt(ctx context.Context, key, group string, rank Rank, hold time.Duration) (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	// The clock read under the lock: a slot taken and a key queued
	// together are ordered as they were (a crowd asking at once had keys
	// queued before the slots of the first turns were taken).
	now := time.Now()
	q.prune(now)
	if q.byKey[key] >= q.PerKey {
		return time.Time{}, false
	}
	p := q.queued[key]
	if p == nil {
		if len(q.queued) >= q.MaxKeys {
			return time.Time{}, false
		}
		if q.queued == nil {
			q.queued = map[string]*place{}
		}
		q.seq++
		p = &place{seq: q.seq, since: now}
		q.queued[key] = p
	} else if p.waiting {
		return time.Time{}, false
	}
	p.group, p.rank, p.waiting = group, rank, true
	end := now.Add(hold)
	for {
		ok, claimEnds := q.turn(key, p, now)
		if ok {
			break
		}
		if !now.Before(end) {
			q.leave(p, now)
			return time.Time{}, false
		}
		if q.changed == nil {
			q.changed = make(chan struct{})
		}
		changed := q.changed
		wake := end
		if !claimEnds.IsZero() && claimEnds.Before(wake) {
			wake = claimEnds // a claim that ends may make it p's turn
		}
		timer := time.NewTimer(wake.Sub(now))
		q.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
		q.mu.Lock()
		now = time.Now()
		if ctx.Err() != nil {
			q.leave(p, now)
			return time.Time{}, false
		}
	}
	delete(q.queued, key)
	q.total++
	if q.byKey == nil {
		q.byKey, q.byGroup = map[string]int{}, map[string]int{}
	}
	q.byKey[key]++
	q.byGroup[group]++
	return now, true
}

// turn reports whether p, key's place, may take a slot at now: one is
// free for each key waiting that is ranked before it, and one more. When
// not, claimEnds is the first end of a Claim that counted against it (zero
// if none). q.mu is held.
func (q *Queue) turn(key string, p *place, now time.Time) (ok bool, claimEnds time.Time) {
	free := q.Limit - q.total
	if free <= 0 || q.byKey[key] >= q.PerKey {
		return false, time.Time{}
	}
	eldest := q.eldest(now)
	for k, o := range q.queued {
		if o == p || !q.counts(o, now) || q.byKey[k] >= q.PerKey || !q.before(k, o, key, p, now, eldest) {
			continue
		}
		if !o.waiting {
			if ends := o.asked.Add(q.Claim); claimEnds.IsZero() || ends.Before(claimEnds) {
				claimEnds = ends
			}
		}
		if free--; free <= 0 {
			return false, claimEnds
		}
	}
	return true, time.Time{}
}

// leave marks p's request gone, keeping its place, and wakes the others.
// q.mu is held.
func (q *Queue) leave(p *place, now time.Time) {
	p.waiting, p.asked = false, now
	q.wake()
}

// wake wakes the requests waiting. q.mu is held.
func (q *Queue) wake() {
	if q.changed != nil {
		close(q.changed)
		q.changed = nil
	}
}

// prune drops the places whose key has not asked for Keep. q.mu is held.
func (q *Queue) prune(now time.Time) {
	for k, p := range q.queued {
		if !p.waiting && now.Sub(p.asked) > q.Keep {
			delete(q.queued, k)
		}
	}
}

// Release frees a slot of key and hands it to the next waiting.
func (q *Queue) Release(key, group string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.release(key, group)
}

// Yield frees a slot of key taken back for others, and queues key at rank
// as if a request of it had just been answered busy: the slot is kept for
// it for Claim when it ranks first.
func (q *Queue) Yield(key, group string, rank Rank) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	if p := q.queued[key]; p == nil && len(q.queued) < q.MaxKeys {
		if q.queued == nil {
			q.queued = map[string]*place{}
		}
		q.seq++
		q.queued[key] = &place{seq: q.seq, since: now, group: group, rank: rank, asked: now}
	} else if p != nil && !p.waiting {
		p.group, p.rank, p.asked = group, rank, now
	}
	q.release(key, group)
}

// release frees a slot of key and wakes the requests waiting. q.mu is held.
func (q *Queue) release(key, group string) {
	q.total--
	if q.byKey[key]--; q.byKey[key] <= 0 {
		delete(q.byKey, key)
	}
	if q.byGroup[group]--; q.byGroup[group] <= 0 {
		delete(q.byGroup, group)
	}
	q.wake()
}

// Waiting is the number of keys that count as waiting for a slot: a
// request of them waits, or was answered busy or cut for others less than
// Claim ago.
func (q *Queue) Waiting() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queued) == 0 {
		return 0 // the quantum's check on every step of a transfer: no clock read
	}
	now, n := time.Now(), 0
	for _, p := range q.queued {
		if q.counts(p, now) {
			n++
		}
	}
	return n
}

// InFlight is the number of slots taken.
func (q *Queue) InFlight() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

// Queued is the number of keys with a place in the queue: waiting now, or
// answered busy less than Keep ago.
func (q *Queue) Queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queued) == 0 {
		return 0 // the quantum's check on every step of a transfer: no clock read
	}
	q.prune(time.Now())
	return len(q.queued)
}
