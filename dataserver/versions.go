package dataserver

import (
	"context"

	"github.com/aichain/aichain/x/datamarket/types"
)

// A request that names a version (?version=V, a probe's included) needs the
// version's record (DatasetVersion, one chain query) before the signer's
// access is known, since a probe is answered from it. Records are immutable
// and cached; a miss is read by one query shared by every request for the
// same version while it runs, in a slot of the first asker's look-up pool
// (lookup.go), so that strangers' fresh keys, or one key replaying one
// request, put at most one query per version in flight, and at most a pool's
// slots in all (TestAttackStrangersVersionLookupsAreUnbounded). No free slot:
// the request is answered 503 busy. The query runs under its own
// ChainTimeout, detached from the request that started it: a caller that
// goes away fails no other caller, and each waits only as long as its own
// context lasts.

// versionFlight is one DatasetVersion query in flight; requests for the same
// version wait for done.
type versionFlight struct {
	done chan struct{}
	dv   types.DatasetVersion
	err  error
}

// versionFor returns a version's record for a request signed by addr: from
// the cache, from the query in flight for it, or from a query it starts in
// addr's pool (errBusy when the pool has no free slot).
func (s *Server) versionFor(ctx context.Context, id, v uint64, addr string) (types.DatasetVersion, error) {
	key := [2]uint64{id, v}
	if dv, ok := s.versions.get(key, s.cfg.Now()); ok {
		return dv, nil
	}
	slots := s.lk.pools[s.pool(addr)]
	s.flightsMu.Lock()
	f, running := s.flights[key]
	if !running {
		select {
		case slots <- struct{}{}:
		default:
			s.flightsMu.Unlock()
			return types.DatasetVersion{}, errBusy
		}
		f = &versionFlight{done: make(chan struct{})}
		s.flights[key] = f
		go s.runVersionFlight(key, f, slots)
	}
	s.flightsMu.Unlock()
	select {
	case <-f.done:
		return f.dv, f.err
	case <-ctx.Done():
		return types.DatasetVersion{}, ctx.Err()
	}
}

// runVersionFlight runs f's query, caches a record it reads, frees its slot
// and lets its waiters go.
func (s *Server) runVersionFlight(key [2]uint64, f *versionFlight, slots chan struct{}) {
	defer func() {
		<-slots
		s.flightsMu.Lock()
		delete(s.flights, key)
		s.flightsMu.Unlock()
		close(f.done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ChainTimeout)
	defer cancel()
	f.dv, f.err = s.cfg.Chain.DatasetVersion(ctx, key[0], key[1])
	if f.err == nil {
		s.versions.put(key, f.dv, zeroTime)
	}
}

// version returns a version record, immutable once written, cached; for
// Load (checkExplicit), outside the request pools.
func (s *Server) version(ctx context.Context, id, v uint64) (types.DatasetVersion, error) {
	key := [2]uint64{id, v}
	if dv, ok := s.versions.get(key, s.cfg.Now()); ok {
		return dv, nil
	}
	dv, err := s.cfg.Chain.DatasetVersion(ctx, id, v)
	if err != nil {
		return dv, err
	}
	s.versions.put(key, dv, zeroTime)
	return dv, nil
}
