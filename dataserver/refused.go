package dataserver

import (
	"container/list"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// A request refused before its nonce is checked (for want of access, or
// busy, the chain unavailable, a dataset or version not found) leaves its
// nonce unrecorded (only accounts with access fill the replay store), so it
// stays valid for the rest of its window. Whoever holds a copy (a
// TLS-terminating proxy's log, a plain-HTTP hop) could replay it once the
// chain grants the signer access (a purchase, a job's award) or the server
// is no longer busy, and read the rows. So the server remembers, for each
// access refused (dataset, signer, version asked), whatever the refusal's
// cause, the latest signed timestamp (Unix seconds) of a request refused for
// it, and serves no request for that access signed at or before that second:
// a refused request never turns into a read
// (TestAttackRefusedProbeReplayedAfterAward,
// TestAttackBusyRefusalLeavesReplayableCopy). Only the
// signer's own timestamps count, so a client whose clock is off is not
// refused longer. An honest client signs a new request after its purchase
// (one signed within the same second as a refused one is refused too: signed
// anew a second later, it is served); the
// probe of a bidder or a validator's sidecar (a signed HEAD, probe.go) is
// never refused for want of access and never returns rows.
//
// The memory is two, each of at most MaxRefused accesses kept for the window
// and the future skew (after which every request they cover is stale): one
// for the accounts the server knows (validators, and the accounts granted
// access since it started, everGranted: a licensee asking for a version it
// has not bought), one for everyone else, whose oldest entry is dropped when it is
// full. Fresh keys cost nothing, so strangers can flush only strangers'
// refusals (TestAttackStrangersCannotFlushRefusals): for a first-time buyer
// whose download went out before its purchase landed, the rule holds unless
// strangers refuse a whole memory's worth of look-ups in the window. A full
// memory never refuses a look-up: an earlier version answered strangers 503
// while it was full, and a flood of fresh keys then locked every new buyer
// and newly awarded provider out (TestAttackStrangersFillRefusalsLockOutNewBuyers).

// ErrRefusedEarlier is a request signed no later than a refusal of the same
// access (dataset, signer and version): answered 401 refused_request, even
// once the signer has access. Sign the request anew. It is the nonce
// store's kind (signedreq.ErrRefusedEarlier), which also refuses a copy of a
// request refused as too many.
var ErrRefusedEarlier = signedreq.ErrRefusedEarlier

// errNoAccess is the cause of a 403 no_access.
var errNoAccess = errors.New("no access")

// refusals remembers the accesses refused, oldest (first to expire) first,
// at most max in all and perSigner of one signer: a signer's new refusal
// past its cap pushes out its own oldest, never another's, so that one
// account (known to the server, or not) cannot flush the refusals of others
// (TestAttackKnownAccountFlushesRefusals); past max, the oldest refusal of a
// signer holding the most goes, so that accounts flushing together must
// each hold no more than the honest signer whose refusal they push out
// (TestAttackFewKnownAccountsFlushRefusals: 256 accounts of 256 refusals
// each, a licence apiece, pushed out a licensee's one).
type refusals struct {
	mu        sync.Mutex
	max       int
	perSigner int
	ttl       time.Duration
	order     *list.List
	byKey     map[accessKey]*list.Element
	bySigner  map[string]*list.List // of *list.Element of order, oldest first
	// withCount[n] are the signers holding n refusals (countEl: each
	// signer's element there); top is the largest n with any.
	withCount map[int]*list.List
	countEl   map[string]*list.Element
	top       int
}

type refusedAccess struct {
	key     accessKey
	upTo    int64 // Unix seconds: requests signed then or before are refused
	expires time.Time
	mine    *list.Element // this entry in its signer's list
}

func newRefusals(most, perSigner int, ttl time.Duration) *refusals {
	return &refusals{max: most, perSigner: max(1, perSigner), ttl: ttl, order: list.New(),
		byKey: map[accessKey]*list.Element{}, bySigner: map[string]*list.List{},
		withCount: map[int]*list.List{}, countEl: map[string]*list.Element{}}
}

// record notes a refusal, at now, of a request for key signed at signedAt.
// It is kept for the ttl past the later of now and signedAt: a request
// signed ahead of the clock is fresh until its own time plus the window.
// The order then is not quite that of expiry (an entry is dropped when
// those before it are); an entry kept longer covers only requests stale by
// then.
func (r *refusals) record(key accessKey, signedAt int64, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	expires := now.Add(r.ttl)
	if ahead := time.Unix(signedAt, 0).Add(r.ttl); ahead.After(expires) {
		expires = ahead
	}
	if el, ok := r.byKey[key]; ok {
		e := el.Value.(*refusedAccess)
		e.upTo = max(e.upTo, signedAt)
		if expires.After(e.expires) {
			e.expires = expires
		}
		r.order.MoveToBack(el)
		r.bySigner[key.addr].MoveToBack(e.mine)
		return
	}
	if mine := r.bySigner[key.addr]; mine != nil {
		for mine.Len() >= r.perSigner {
			r.remove(mine.Front().Value.(*list.Element))
		}
	}
	for r.order.Len() >= r.max && r.order.Len() > 0 {
		r.evictFromTop()
	}
	mine := r.bySigner[key.addr]
	if mine == nil {
		mine = list.New()
		r.bySigner[key.addr] = mine
	}
	el := r.order.PushBack(&refusedAccess{key: key, upTo: signedAt, expires: expires})
	el.Value.(*refusedAccess).mine = mine.PushBack(el)
	r.byKey[key] = el
	r.recount(key.addr, mine.Len()-1, mine.Len())
}

// evictFromTop forgets the oldest refusal of a signer holding the most (of
// the signers holding the most, the one that got there first); with one
// each, the oldest of all. r.mu is held and the memory is not empty.
func (r *refusals) evictFromTop() {
	for r.withCount[r.top] == nil {
		r.top--
	}
	addr := r.withCount[r.top].Front().Value.(string)
	r.remove(r.bySigner[addr].Front().Value.(*list.Element))
}

// recount moves addr from the signers holding from refusals to those
// holding to (0: none); r.mu is held.
func (r *refusals) recount(addr string, from, to int) {
	if el, ok := r.countEl[addr]; ok {
		l := r.withCount[from]
		l.Remove(el)
		if l.Len() == 0 {
			delete(r.withCount, from)
		}
		delete(r.countEl, addr)
	}
	if to > 0 {
		l := r.withCount[to]
		if l == nil {
			l = list.New()
			r.withCount[to] = l
		}
		r.countEl[addr] = l.PushBack(addr)
		r.top = max(r.top, to)
	}
}

// remove forgets the entry at el of order; r.mu is held.
func (r *refusals) remove(el *list.Element) {
	e := r.order.Remove(el).(*refusedAccess)
	delete(r.byKey, e.key)
	mine := r.bySigner[e.key.addr]
	mine.Remove(e.mine)
	r.recount(e.key.addr, mine.Len()+1, mine.Len())
	if mine.Len() == 0 {
		delete(r.bySigner, e.key.addr)
	}
}

// covers reports whether a request for key signed at signedAt was signed no
// later than a refusal of key.
func (r *refusals) covers(key accessKey, signedAt int64, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	el, ok := r.byKey[key]
	return ok && signedAt <= el.Value.(*refusedAccess).upTo
}

// len is the number of accesses remembered.
func (r *refusals) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len()
}

// expire drops the entries expired at now; r.mu is held.
func (r *refusals) expire(now time.Time) {
	for el := r.order.Front(); el != nil && now.After(el.Value.(*refusedAccess).expires); el = r.order.Front() {
		r.remove(el)
	}
}

// refusalBook is the two memories: the known accounts' and the strangers'.
type refusalBook struct {
	known, strangers *refusals
}

func newRefusalBook(max, perSigner int, ttl time.Duration) refusalBook {
	return refusalBook{known: newRefusals(max, perSigner, ttl), strangers: newRefusals(max, perSigner, ttl)}
}

// record notes a refusal of a request for key signed at signedAt, in the
// strangers' memory when stranger.
func (b refusalBook) record(key accessKey, signedAt int64, now time.Time, stranger bool) {
	if stranger {
		b.strangers.record(key, signedAt, now)
		return
	}
	b.known.record(key, signedAt, now)
}

// covers reports whether a request for key signed at signedAt was signed no
// later than a refusal of key remembered in either memory.
func (b refusalBook) covers(key accessKey, signedAt int64, now time.Time) bool {
	return b.known.covers(key, signedAt, now) || b.strangers.covers(key, signedAt, now)
}

// refusedEarlier is the answer to a request covered by a refusal.
func refusedEarlier(id, version uint64) *httpError {
	return &httpError{status: http.StatusUnauthorized, code: "refused_request", cause: ErrRefusedEarlier,
		msg: fmt.Sprintf("this request was signed no later than a refusal of the same access to dataset %d (version %d; 0: current), "+
			"and is not served even once access opens: sign it anew", id, version)}
}
