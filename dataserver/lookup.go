package dataserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"
)

// Access look-ups (x/datamarket HasAccess, one chain query each) run in
// four pools of slots, so that accounts without access, whose keys cost
// nothing, cannot crowd out those that have it
// (TestAttackStrangersCannotStarveAccessLookups):
//   - poolValidators: the operator accounts of the bonded validators, whose
//     sidecars probe whether this server still serves an aborted job's
//     inputs (a probe answered 503 is asked again after its Retry-After,
//     and one busy across many blocks counts as the dataset gone:
//     sidecar/busy.go);
//   - poolProviders: the active x/compute providers (registered with a
//     bond, re-read as the validators are): the winner of a job, whose
//     access the chain grants at the award, has sent only probes before
//     (which make no access look-up), and its first download must not wait
//     behind fresh keys (TestAttackStrangersLockOutNewlyAwardedProvider),
//     nor behind licensees of a free offer, which cost nothing either: they
//     shared a pool once, and eight of them holding its slots kept a newly
//     awarded provider from its inputs until it aborted
//     (TestAttackFreeLicenseesLockOutTheAwardedProvider); a provider whose
//     look-ups grant nothing, over and over, looks up with everyone else
//     (strikes.go), since a bond is refunded and eight sybil providers held
//     the pool as the free licensees had
//     (TestAttackSybilProvidersLockOutTheAwardedProvider);
//   - poolKnown: accounts that had access (a positive answer) in the last
//     knownFor;
//   - poolStrangers: everyone else.
//
// An account has at most one look-up in flight: a second request of the same
// look-up waits for its answer, one of another look-up waits its turn (at
// most ChainTimeout, then 503), so that one key replaying one signed
// request, or sending many, holds one slot.
const (
	poolValidators = iota
	poolProviders
	poolKnown
	poolStrangers
	numPools
)

// knownFor is how long an account that had access is looked up in
// poolKnown; validatorsEvery how often the bonded validators and the active
// providers are re-read.
const (
	knownFor = 10 * time.Minute
	// maxGranted bounds the accounts remembered as granted access since the
	// server started (everGranted).
	maxGranted      = 65_536
	validatorsEvery = time.Minute
)

// errBusy is a look-up refused for want of a slot, or after waiting too
// long for the account's look-up in flight.
var errBusy = errors.New("too many access checks at once")

// lookups is the state of the access look-ups: the pools' slots, the
// look-ups in flight by account, the accounts that had access, the bonded
// validators and the active providers.
type lookups struct {
	pools [numPools]chan struct{}
	known *lru[string, struct{}]
	// granted holds the accounts granted access since the server started
	// (the last maxGranted): where a refusal is remembered (refused.go). An
	// account enters it only with access on chain (a licence, a job), so
	// fresh keys cannot fill it.
	granted *lru[string, struct{}]
	// strikes counts the look-ups of active providers that granted no
	// access, firstRefusals their first refusal on each dataset, which is
	// none (strikes.go).
	strikes       *lru[string, int]
	firstRefusals *lru[refusalKey, struct{}]

	mu       sync.Mutex
	inflight map[string]*lookup

	valMu      sync.Mutex
	validators map[string]bool
	providers  map[string]bool
	valRead    time.Time // the last attempt to read them
	valReading bool
	// provFrom is where the next read of a list longer than one read goes
	// on (nil: its start); provCycle the providers read so far in the
	// cycle, which replaces providers when the list is done.
	provFrom  []byte
	provCycle map[string]bool
}

// lookup is one HasAccess query in flight; requests that ask the same wait
// for done.
type lookup struct {
	key  accessKey
	done chan struct{}
	ans  accessAnswer
	err  error
}

func newLookups(perPool, maxKnown int) *lookups {
	l := &lookups{known: newLRU[string, struct{}](maxKnown), granted: newLRU[string, struct{}](maxGranted),
		strikes: newLRU[string, int](maxStruck), firstRefusals: newLRU[refusalKey, struct{}](maxStruck), inflight: map[string]*lookup{}}
	for i := range l.pools {
		l.pools[i] = make(chan struct{}, perPool)
	}
	return l
}

// pool returns the pool an account's look-ups run in.
func (s *Server) pool(addr string) int {
	validator, provider := s.marked(addr)
	switch {
	case validator:
		return poolValidators
	case provider && !s.struck(addr):
		return poolProviders
	case s.isKnown(addr):
		return poolKnown
	}
	return poolStrangers
}

// everGranted reports whether addr was granted access since the server
// started (among the last maxGranted such accounts), or is a validator or
// an active provider: its refusals go to the known accounts' memory, which
// strangers cannot flush
// (TestAttackLicenseeNotSeenForTenMinutesIsAStrangersRefusal: a licensee
// not looked up for knownFor was a stranger there).
func (s *Server) everGranted(addr string) bool {
	if validator, provider := s.marked(addr); validator || provider {
		return true
	}
	_, ok := s.lk.granted.get(addr, s.cfg.Now())
	return ok
}

func (s *Server) isKnown(addr string) bool {
	_, ok := s.lk.known.get(addr, s.cfg.Now())
	return ok
}

// isValidator reports whether addr is a bonded validator's operator account
// in the set last read (marked).
func (s *Server) isValidator(addr string) bool {
	validator, _ := s.marked(addr)
	return validator
}

// marked reports whether addr is a bonded validator's operator account and
// whether it is an active provider, in the sets last read; sets older than
// validatorsEvery are re-read in the background, never while a request
// waits.
func (s *Server) marked(addr string) (validator, provider bool) {
	l := s.lk
	l.valMu.Lock()
	defer l.valMu.Unlock()
	if now := s.cfg.Now(); !l.valReading && now.Sub(l.valRead) >= validatorsEvery {
		l.valReading, l.valRead = true, now
		go func() { _ = s.refreshMarked(context.Background()) }()
	}
	return l.validators[addr], l.providers[addr]
}

// refreshMarked reads the bonded validators' operator accounts and the
// active providers; a set that cannot be read is kept as last read. A
// providers' list longer than one read (maxProviderPages) is read over as
// many refreshes, each going on where the last stopped: the providers read
// so far are marked with the last whole list's, which the cycle's whole
// list replaces once done. A read that gave up at its page cap returned no
// set, and 10,001 sybil providers left every provider among strangers
// (TestAttackTenThousandSybilProvidersUnmarkEveryProvider).
func (s *Server) refreshMarked(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ChainTimeout)
	defer cancel()
	l := s.lk
	l.valMu.Lock()
	from := l.provFrom
	l.valMu.Unlock()
	validators, verr := s.cfg.Chain.Validators(ctx)
	providers, next, perr := s.cfg.Chain.Providers(ctx, from)
	l.valMu.Lock()
	defer l.valMu.Unlock()
	l.valReading, l.valRead = false, s.cfg.Now()
	if verr != nil {
		s.cfg.Logger.Warn("cannot read the bonded validators; keeping the last set", "err", verr)
	} else {
		l.validators = validators
	}
	if perr != nil {
		s.cfg.Logger.Warn("cannot read the active providers; keeping the last set", "err", perr)
		return errors.Join(verr, perr)
	}
	if from == nil {
		l.provCycle = map[string]bool{}
	}
	for a := range providers {
		l.provCycle[a] = true
	}
	if next == nil {
		l.providers, l.provCycle, l.provFrom = l.provCycle, nil, nil
		return verr
	}
	s.cfg.Logger.Info("more active providers than one read lists; reading on at the next refresh", "read", len(l.provCycle))
	marked := maps.Clone(l.providers)
	if marked == nil {
		marked = map[string]bool{}
	}
	for a := range l.provCycle {
		marked[a] = true
	}
	l.providers, l.provFrom = marked, next
	return errors.Join(verr, perr)
}

// lookUp asks the chain whether key.addr may read the version, in the
// account's pool, once the account has no other look-up in flight; a
// look-up in flight for the same key is shared.
func (s *Server) lookUp(ctx context.Context, key accessKey) (accessAnswer, error) {
	l := s.lk
	if ans, done, err := s.awaitTurn(ctx, key); done {
		return ans, err
	}
	// l.mu is held. The pool is chosen now, after the account's look-up
	// before this one has counted (noteLookup).
	p := s.pool(key.addr)
	select {
	case l.pools[p] <- struct{}{}:
	default:
		l.mu.Unlock()
		return accessAnswer{}, errBusy
	}
	cur := &lookup{key: key, done: make(chan struct{})}
	l.inflight[key.addr] = cur
	l.mu.Unlock()

	cur.ans, cur.err = s.askChain(ctx, key)
	s.noteLookup(key, cur.ans, cur.err, ctx.Err() != nil)
	<-l.pools[p]
	l.mu.Lock()
	delete(l.inflight, key.addr)
	l.mu.Unlock()
	close(cur.done)
	return cur.ans, cur.err
}

// awaitTurn waits until key.addr has no look-up in flight and returns with
// l.mu held (done false), or returns an answer: that of a look-up of the
// same key it waited for, a cached one, or an error when ctx ends or the
// wait passes ChainTimeout (done true, l.mu not held).
func (s *Server) awaitTurn(ctx context.Context, key accessKey) (ans accessAnswer, done bool, err error) {
	l := s.lk
	wctx, cancel := context.WithTimeout(ctx, s.cfg.ChainTimeout)
	defer cancel()
	for {
		l.mu.Lock()
		cur, ok := l.inflight[key.addr]
		if !ok {
			return accessAnswer{}, false, nil
		}
		l.mu.Unlock()
		select {
		case <-cur.done:
		case <-wctx.Done():
			if ctx.Err() != nil {
				return accessAnswer{}, true, ctx.Err()
			}
			return accessAnswer{}, true, errBusy
		}
		if cur.key == key {
			return cur.ans, true, cur.err
		}
		if ans, ok := s.access.get(key, s.cfg.Now()); ok {
			return ans, true, nil
		}
	}
}

// askChain runs one HasAccess query and caches its answer: a refusal a
// second at most, since access opens at any block (a purchase, a job's
// award) and the prover of a bid asked just before its award must not be
// refused after it.
func (s *Server) askChain(ctx context.Context, key accessKey) (accessAnswer, error) {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.ChainTimeout)
	defer cancel()
	a, err := s.cfg.Chain.HasAccess(cctx, key.id, key.addr, key.version)
	if err != nil {
		return accessAnswer{}, err
	}
	ans := accessAnswer{ok: a.Has, version: a.Version, byJob: a.Has && a.JobID != 0}
	now := s.cfg.Now()
	ttl := s.cfg.AccessTTL
	if a.Has {
		s.lk.known.put(key.addr, struct{}{}, now.Add(knownFor))
		s.lk.granted.put(key.addr, struct{}{}, time.Time{}) // no expiry: LRU only
	} else {
		ttl = min(ttl, time.Second)
	}
	s.access.put(key, ans, now.Add(ttl))
	return ans, nil
}

// hasAccess asks the chain (or the short-lived cache) whether key.addr may
// read the version, and returns the answer, its version resolved (0: the
// current). A refusal's cause is errNoAccess.
func (s *Server) hasAccess(ctx context.Context, key accessKey) (accessAnswer, *httpError) {
	ans, ok := s.access.get(key, s.cfg.Now())
	if !ok {
		var err error
		if ans, err = s.lookUp(ctx, key); err != nil {
			return accessAnswer{}, s.lookupError(key, err)
		}
	}
	if !ans.ok {
		return accessAnswer{}, &httpError{status: http.StatusForbidden, code: "no_access", cause: errNoAccess,
			msg: fmt.Sprintf("%s has no valid licence for dataset %d version %d (buy one: aichaind tx datamarket purchase-license)",
				key.addr, key.id, max(key.version, ans.version))}
	}
	return ans, nil
}

// lookupError turns a failed look-up into its answer: 503 (retry) when no
// slot was free or the request that ran it went away, 404 for a dataset or
// version the chain does not have, 502 otherwise. A failure is logged at
// warning level for validators and known accounts, at debug for strangers
// (whose requests cost nothing to send).
func (s *Server) lookupError(key accessKey, err error) *httpError {
	switch {
	case errors.Is(err, errBusy) || errors.Is(err, context.Canceled):
		return herr(http.StatusServiceUnavailable, "busy", "too many access checks at once; retry")
	case errors.Is(err, ErrNotFound):
		return herr(http.StatusNotFound, "not_found", "dataset %d version %d: %v", key.id, key.version, err)
	}
	level := slog.LevelWarn
	if s.pool(key.addr) == poolStrangers {
		level = slog.LevelDebug
	}
	s.cfg.Logger.Log(context.Background(), level, "access look-up failed", "dataset", key.id, "address", key.addr, "err", err)
	return herr(http.StatusBadGateway, "chain_unavailable", "cannot check access of %s to dataset %d", key.addr, key.id)
}
