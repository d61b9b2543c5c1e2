package dataserver

import (
	"errors"
	"time"
)

// Refused providers. An active provider is anyone registered with
// x/compute's min_provider_bond (1,000 AIC, locked, not spent: refunded when
// it leaves), so poolProviders cannot be the pool of every provider: eight
// sybil providers with no job and no licence here, refused at every look-up
// and asking again, held its 8 slots against a node under load, and a
// newly awarded provider was answered 503 until it aborted its job
// (TestAttackSybilProvidersLockOutTheAwardedProvider). So each look-up of an
// active provider that ends without access (refused, a version the chain
// does not have, or the request going away before the answer: whatever
// held a slot and granted nothing, the node's own failures apart) is a
// strike; at providerStrikes strikes, each
// within strikeFor of the one before, its look-ups run with everyone
// else's (poolKnown if it had access in the last knownFor, poolStrangers
// if not) until strikeFor passes without another, or a look-up grants it
// access by a job. A refused request that never reached the chain
// (a dataset this server does not serve, a version newer than its current
// one) held no slot and is no strike; nor is a 503 busy, nor an answer
// shared or cached.
//
// An honest provider keeps its pool: the download of a job's winner sent a
// block before its award reached this server's node is refused, and the
// job's grant clears the strikes. A provider's first refusal on a dataset
// within strikeFor is no strike (firstRefusals): a winner of jobs over
// three datasets of one server, its downloads each a block ahead of their
// awards, was struck, and looked up with the strangers, whose pool fresh
// keys fill, its awarded look-ups never reached the grant that clears them
// (TestAttackWinnerOfThreeJobsLosesItsPool). A grant by a licence does not
// clear strikes: a free trial would clear a sybil's strikes for nothing.
//
// What holding poolProviders then costs: a sybil has at most D +
// providerStrikes look-ups there, D the datasets this server serves, each
// holding one slot at most ChainTimeout (10 s), then none for strikeFor (it
// stays out while it goes on asking). To keep LookupsPerPool (8) slots busy
// through H takes 8·min(H, strikeFor) / ((D+3)·t) sybils, t the time the
// node takes to answer one of their look-ups: with 10 datasets, through a
// minute of an awarded provider's retries (half its execution window: 10
// blocks at the least min_exec_blocks allows) 37 sybils (37,000 AIC bonded)
// at t = 1 s, 4 only if the node takes the whole ChainTimeout, which fails
// the winner's own look-up as well; an hour or more, 2,216 sybils (2.2
// million AIC) at t = 1 s. Before, 8 sybils (8,000 AIC) held it for as long
// as they liked.
const (
	providerStrikes = 3
	strikeFor       = time.Hour
	// maxStruck bounds the providers whose strikes are remembered (an
	// account enters only as an active provider, each with a bond), and
	// their datasets' first refusals.
	maxStruck = 65_536
)

// refusalKey is a provider's refusal on a dataset.
type refusalKey struct {
	addr string
	id   uint64
}

// struck reports whether addr has providerStrikes strikes: a provider
// looked up out of poolProviders.
func (s *Server) struck(addr string) bool {
	n, ok := s.lk.strikes.get(addr, s.cfg.Now())
	return ok && n >= providerStrikes
}

// noteLookup counts the end of a look-up of addr, an active provider, that
// ran (gone: its request went away before the answer): a strike when it
// granted no access (but, not struck, its first refusal on the dataset
// within strikeFor), the strikes forgotten when it granted access by a
// job. A node that fails or times out is no strike: it fails every asker
// alike, and striking the providers that retried through an outage would
// send every winner to the strangers' pool once it is back. An account has
// one look-up at a time (lookUp), so its count is not raced.
func (s *Server) noteLookup(key accessKey, ans accessAnswer, err error, gone bool) {
	addr := key.addr
	if _, provider := s.marked(addr); !provider {
		return
	}
	now := s.cfg.Now()
	switch {
	case err == nil && ans.ok:
		if ans.byJob {
			// Its first refusal there is free again: a provider winning jobs
			// on the same datasets an hour later sends its downloads ahead
			// of their awards again
			// (TestAttackWinnerOfThreeJobsTwiceInAnHourLosesItsPool).
			s.lk.strikes.remove(addr)
			s.lk.firstRefusals.remove(refusalKey{addr: addr, id: key.id})
		}
		return
	case err == nil && !ans.ok && !gone && !s.struck(addr):
		first := refusalKey{addr: addr, id: key.id}
		if _, seen := s.lk.firstRefusals.get(first, now); !seen {
			s.lk.firstRefusals.put(first, struct{}{}, now.Add(strikeFor))
			return
		}
	case err != nil && !gone && !errors.Is(err, ErrNotFound):
		return // the node's failure
	}
	n, _ := s.lk.strikes.get(addr, now)
	s.lk.strikes.put(addr, n+1, now.Add(strikeFor))
}
