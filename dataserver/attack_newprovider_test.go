package dataserver

import "testing"

// TestAttackStrangersLockOutNewlyAwardedProvider: access look-ups run in
// three pools "so that accounts without access, whose keys cost nothing,
// cannot crowd out those that have it" (lookup.go). But an account is in
// the protected pool (poolKnown) only after a look-up has already granted it
// access; the winner of a compute job, whose access the chain grants at the
// award, has only ever sent signed HEAD probes (which make no access
// look-up), so its first download after the award is looked up in the
// strangers' pool. Fresh keys, nothing paid, keep that pool's 8 slots busy
// against a node that answers in tens of milliseconds (one look-up in flight
// per key, so eight keys at a time). Every download of the winner is then
// answered 503 at once, through half its execution window; it aborts with
// INPUTS_UNAVAILABLE, the validators' probes (HEAD, their own pool) find the
// inputs available, and the honest provider forfeits slash_fraction_timeout
// of its collateral as for a timeout. Now the active x/compute providers
// (registered with a bond: keys that cost something) are read from the
// chain in the background, as the bonded validators are, and looked up in
// poolKnown from their first request. (A first-time buyer who has just
// paid still looks up among strangers: nothing marks it before its first
// look-up; see README.)
func TestAttackStrangersLockOutNewlyAwardedProvider(t *testing.T) {
	fx := newFixture(t, true)
	provider := newAccount() // bid on a job over dataset 1 version 1 (probes only)
	// A provider registers, with a bond, before it bids; the server re-reads
	// the active providers every minute (at once here).
	fx.chain.register(provider.addr())
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := provider.client(fx.url).Holds(t.Context(), 1, 1); err != nil {
		t.Fatalf("the bidder's probe: %v", err)
	}
	g := gate(t, fx, func(a string) bool { return a != provider.addr() })
	held := fillPool(t, fx, g.chain.arrived, g.results, g.start)
	t.Logf("fresh keys hold %d look-ups", held)

	// The award: the chain grants the winner the pinned version. The winner
	// fetches its inputs, honouring Retry-After, for 5 s.
	fx.chain.grant(1, provider.addr(), 1, true)
	if err := awardedDownload(t, fx, provider); err != nil {
		t.Fatalf("the awarded provider's download, retried for 5 s while fresh keys held the strangers' look-ups: %v: "+
			"keys that cost nothing lock the winner of a job out of its inputs", err)
	}
}
