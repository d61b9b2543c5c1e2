package dataserver

import (
	"container/list"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// A request refused for want of access leaves its nonce unrecorded (only
// accounts with access fill the replay store), so it stays valid for the rest
// of its window. Whoever holds a copy (a TLS-terminating proxy's log, a
// plain-HTTP hop) could replay it once the chain grants the signer access (a
// purchase, a job's award) and read the rows. So the server remembers, for
// each access refused (dataset, signer, version asked), the latest signed
// timestamp (Unix seconds) of a request refused for it, and serves no request
// for that access signed at or before that second: a refused request never
// turns into a read (TestAttackRefusedProbeReplayedAfterAward). Only the
// signer's own timestamps count, so a client whose clock is off is not
// refused longer. An honest client signs a new request after its purchase
// (one signed within the same second as a refused one is refused too: signed
// anew a second later, it is served); the
// probe of a bidder or a validator's sidecar (a signed HEAD, probe.go) is
// never refused for want of access and never returns rows.
//
// The memory holds at most MaxRefused accesses, each for the window and the
// future skew, after which every request it covers is stale anyway. Fresh
// keys cost nothing, so a stranger's look-up of an access not remembered is
// answered 503 busy while the memory has no room left for every look-up that
// may be in flight: strangers cannot push anyone's refusal out
// (TestAttackStrangersCannotFlushRefusals). Past MaxRefused (only accounts
// that had access, or validators, can get there) the oldest entry is
// dropped.

// ErrRefusedEarlier is a request signed no later than a refusal of the same
// access (dataset, signer and version): answered 401 refused_request, even
// once the signer has access. Sign the request anew.
var ErrRefusedEarlier = errors.New("signed before a refusal of the same access")

// errNoAccess is the cause of a 403 no_access.
var errNoAccess = errors.New("no access")

// refusals remembers the accesses refused, oldest (first to expire) first.
type refusals struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	order *list.List
	byKey map[accessKey]*list.Element
}

type refusedAccess struct {
	key     accessKey
	upTo    int64 // Unix seconds: requests signed then or before are refused
	expires time.Time
}

func newRefusals(max int, ttl time.Duration) *refusals {
	return &refusals{max: max, ttl: ttl, order: list.New(), byKey: map[accessKey]*list.Element{}}
}

// record notes a refusal, at now, of a request for key signed at signedAt.
func (r *refusals) record(key accessKey, signedAt int64, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	if el, ok := r.byKey[key]; ok {
		e := el.Value.(*refusedAccess)
		e.upTo, e.expires = max(e.upTo, signedAt), now.Add(r.ttl)
		r.order.MoveToBack(el)
		return
	}
	r.byKey[key] = r.order.PushBack(&refusedAccess{key: key, upTo: signedAt, expires: now.Add(r.ttl)})
	for r.order.Len() > r.max {
		delete(r.byKey, r.order.Remove(r.order.Front()).(*refusedAccess).key)
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

// room reports whether a refusal of key can be remembered without dropping
// one while n other new accesses may be: key is remembered already, or there
// is room for n more.
func (r *refusals) room(key accessKey, n int, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	_, ok := r.byKey[key]
	return ok || r.order.Len()+n <= r.max
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
		delete(r.byKey, r.order.Remove(el).(*refusedAccess).key)
	}
}

// refusedEarlier is the answer to a request covered by a refusal.
func refusedEarlier(id, version uint64) *httpError {
	return &httpError{status: http.StatusUnauthorized, code: "refused_request", cause: ErrRefusedEarlier,
		msg: fmt.Sprintf("this request was signed no later than a refusal of the same access to dataset %d (version %d; 0: current), "+
			"and is not served even once access opens: sign it anew", id, version)}
}
