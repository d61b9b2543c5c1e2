package signedreq

import (
	"sync"
	"time"
)

// NonceStore remembers the nonces of accepted requests for as long as their
// timestamps are fresh, so that a replayed request is refused. Nonces are
// kept in sets by time bucket (one bucket per window, by the signed
// timestamp): buckets older than the window are dropped whole, never swept
// entry by entry. Each address may hold at most PerAddress nonces per bucket
// and the store at most MaxTotal: past either the request is refused as too
// many (429); a reserved signer (UseReserved) meets only its own cap.
// Record a nonce only after the signer's access is checked, so that only
// accounts with access can fill the store.
//
// A request refused as too many leaves no nonce behind, so the store
// remembers instead, per bucket and address, the latest timestamp it refused
// as too many, and refuses (ErrRefusedEarlier) every request of that address
// signed no later in that bucket: a copy replayed once the store has room
// again (a TLS-terminating proxy's log, a plain-HTTP hop) is never served
// (TestAttackTooManyRefusalLeavesReplayableCopy,
// TestAttackTooManyRefusalLeavesReplayableChunkCopy). An honest client signs
// its retry anew, a second or more later. A refusal for the store's
// MaxTotal marks only the address's ordinary requests: a reserved request
// meets only its own cap, and others filling the store must not refuse it
// through the mark of the same signer's ordinary request
// (TestAttackFillStoreToLockOutReservedSignersOwnRequests). These marks go
// with their bucket, at most two per address with access, like the nonces.
type NonceStore struct {
	// Window is the verifier's window (default 60 s).
	Window time.Duration
	// PerAddress caps one address's nonces per bucket (default 20,000).
	PerAddress int
	// MaxTotal caps the nonces held (default 2,000,000).
	MaxTotal int

	mu      sync.Mutex
	buckets map[int64]map[string]map[string]struct{}
	total   int
	counts  map[int64]int
	// marks[bucket][address] are the latest timestamps refused as too many
	// in that bucket.
	marks map[int64]map[string]tooMany
	// far[address] spans the timestamps of its requests refused as signed
	// more than FutureHorizon ahead (RecordFuture).
	far map[string]farAhead
}

// farAhead spans an address's requests refused as signed far ahead: every
// request of the address signed from lo to hi is refused.
type farAhead struct{ lo, hi int64 }

// tooMany is an address's refusals as too many in a bucket: the latest
// timestamp refused for its own cap (own: every request signed no later is
// refused) and for the store's (total: its ordinary requests only).
type tooMany struct {
	own, total       int64
	hasOwn, hasTotal bool
}

func (s *NonceStore) limits() (time.Duration, int, int) {
	w, per, max := s.Window, s.PerAddress, s.MaxTotal
	if w <= 0 {
		w = 60 * time.Second
	}
	if per <= 0 {
		per = 20_000
	}
	if max <= 0 {
		max = 2_000_000
	}
	return w, per, max
}

// Use records the nonce of a verified request, or refuses it as replayed or
// too many. now is the server's clock.
func (s *NonceStore) Use(v *Verified, now time.Time) error { return s.use(v, now, false) }

// UseReserved is Use for a signer the server must keep serving however many
// others fill the store: a bonded validator (its sidecar verifies jobs) or
// a job's winner (it must read the job's input in time). Only its own
// PerAddress cap applies, not MaxTotal: accounts that anyone can open (a
// free licence's holders) would otherwise fill the store and lock them out,
// and the job go unverified or its provider miss its window
// (TestAttackFilledNonceStoreLocksOutValidators). Its nonces still count in
// the total; their number is bounded by the chain (the validator set, the
// jobs won), not by what anyone can sign.
func (s *NonceStore) UseReserved(v *Verified, now time.Time) error { return s.use(v, now, true) }

// FutureHorizon is how far ahead of the clock a request refused as signed
// in the future (ErrFuture) may be signed for RecordFuture to record it.
const FutureHorizon = 10 * time.Minute

// RecordFuture records the nonce of a request refused as signed ahead of
// the clock (Verify returned it with ErrFuture), as Use would, so that its
// copy, fresh once the clock gets there, is refused as replayed; reserved
// is as for UseReserved. Call it only for a signer with access (the store's
// rule). A request signed more than FutureHorizon ahead leaves no nonce
// (its bucket would hold room in the store until then): the store widens
// instead the address's one span of such refusals to take it in, and
// refuses (ErrRefusedEarlier) every request of the address signed within
// that span until the span is stale, so that a copy is never served
// however far ahead it was signed
// (TestAttackReplaysRequestSignedPastTheFutureHorizon). A client whose
// clock ran that far ahead and is then set right signs its requests before
// the span (served) until its clock reaches it. A request the store
// refuses here (replayed, too many) is refused the same later: its nonce
// is there, or the store marked it.
func (s *NonceStore) RecordFuture(v *Verified, now time.Time, reserved bool) {
	if v.SignedAt.Sub(now) > FutureHorizon {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.far == nil {
			s.far = map[string]farAhead{}
		}
		f, ok := s.far[v.Address]
		if !ok {
			f = farAhead{lo: v.Timestamp, hi: v.Timestamp}
		}
		f.lo, f.hi = min(f.lo, v.Timestamp), max(f.hi, v.Timestamp)
		s.far[v.Address] = f
		return
	}
	_ = s.use(v, now, reserved) // refused: its nonce is there, or the store marked it
}

func (s *NonceStore) use(v *Verified, now time.Time, reserved bool) error {
	w, per, max := s.limits()
	width := int64(w / time.Second)
	if width < 1 {
		width = 1
	}
	id := floorDiv(v.Timestamp, width)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets == nil {
		s.buckets, s.counts = map[int64]map[string]map[string]struct{}{}, map[int64]int{}
		s.marks = map[int64]map[string]tooMany{}
	}
	s.dropOld(floorDiv(now.Unix(), width) - 2)
	b := s.buckets[id]
	if b == nil {
		b = map[string]map[string]struct{}{}
		s.buckets[id] = b
	}
	if f, ok := s.far[v.Address]; ok && f.lo <= v.Timestamp && v.Timestamp <= f.hi {
		return refuse(ErrRefusedEarlier, "signed within the span of requests of %s refused as signed more than %s ahead; sign it anew with the clock right", v.Address, FutureHorizon)
	}
	set := b[v.Address]
	if _, seen := set[v.Nonce]; seen {
		return refuse(ErrReplayed, "nonce %q was already used", v.Nonce)
	}
	if m := s.marks[id][v.Address]; m.hasOwn && v.Timestamp <= m.own || !reserved && m.hasTotal && v.Timestamp <= m.total {
		return refuse(ErrRefusedEarlier, "signed no later than a request of %s refused as too many; sign it anew", v.Address)
	}
	if len(set) >= per {
		s.markTooMany(id, v, true)
		return refuse(ErrTooMany, "%s sent more than %d requests in %s", v.Address, per, w)
	}
	if s.total >= max && !reserved {
		s.markTooMany(id, v, false)
		return refuse(ErrTooMany, "the server holds %d fresh requests; try again shortly", max)
	}
	if set == nil {
		set = map[string]struct{}{}
		b[v.Address] = set
	}
	set[v.Nonce] = struct{}{}
	s.total++
	s.counts[id]++
	return nil
}

// markTooMany remembers that v, in bucket id, was refused as too many: for
// its address's own cap (own), or for the store's.
func (s *NonceStore) markTooMany(id int64, v *Verified, own bool) {
	b := s.marks[id]
	if b == nil {
		b = map[string]tooMany{}
		s.marks[id] = b
	}
	m := b[v.Address]
	if own {
		m.own, m.hasOwn = max(m.own, v.Timestamp), true
	} else {
		m.total, m.hasTotal = max(m.total, v.Timestamp), true
	}
	b[v.Address] = m
}

// dropOld drops the buckets before id: requests signed then are stale;
// and, when it drops one (once a window), the spans of far-ahead refusals
// that end before id's bucket.
func (s *NonceStore) dropOld(id int64) {
	dropped := false
	for k := range s.buckets {
		if k < id {
			s.total -= s.counts[k]
			delete(s.buckets, k)
			delete(s.counts, k)
			dropped = true
		}
	}
	if dropped {
		w, _, _ := s.limits()
		start := id * max(1, int64(w/time.Second))
		for a, f := range s.far {
			if f.hi < start {
				delete(s.far, a)
			}
		}
	}
	for k := range s.marks {
		if k < id {
			delete(s.marks, k)
		}
	}
}

// Len is the number of nonces held.
func (s *NonceStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
