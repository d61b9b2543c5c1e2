package dataserver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// skewClock sets fx's server clock to the real one plus an offset that the
// test moves forward (ahead): the look-ups' caches and memories expire
// while signatures stay fresh.
func skewClock(fx *fixture) (ahead func(time.Duration)) {
	var off atomic.Int64
	fx.srv.cfg.Now = func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	return func(d time.Duration) { off.Add(int64(d)) }
}

// wantNoAccess sends a's signed GET of path and wants it refused for want of
// access (403).
func (fx *fixture) wantNoAccess(t *testing.T, a account, path string) {
	t.Helper()
	if status, body := get(t, fx.signed(t, a, fx.url, path)); status != http.StatusForbidden {
		t.Fatalf("%s by an account without access: %d %s, want 403", path, status, body)
	}
}

// TestAttackSybilProvidersLockOutTheAwardedProvider: the active x/compute
// providers look their access up in a pool of their own, poolProviders, so
// that neither fresh keys nor free licensees keep the winner of a job from
// its inputs (TestAttackStrangersLockOutNewlyAwardedProvider,
// TestAttackFreeLicenseesLockOutTheAwardedProvider). But a provider is
// anyone who registered with min_provider_bond (1,000 AIC, locked, not
// spent: refunded when it leaves). Eight such sybils, no job and no licence
// on this server's datasets, keep asking for its rows, refused at every
// look-up, one look-up in flight each against a node under load: they hold
// all 8 of poolProviders' slots, exactly as eight free-trial licensees held
// poolKnown's. Every download of the newly awarded provider is then
// answered 503 at once for as long as they keep at it; it aborts with
// INPUTS_UNAVAILABLE while the validators' probes (HEAD, their own pool)
// find the inputs held, and forfeits its collateral as for a timeout.
// Expected: the awarded provider's download goes through.
func TestAttackSybilProvidersLockOutTheAwardedProvider(t *testing.T) {
	fx := newFixture(t, true)
	ahead := skewClock(fx)
	provider := newAccount()
	fx.chain.register(provider.addr())
	sybils := map[string]bool{}
	var accounts []account
	for range fx.srv.cfg.LookupsPerPool {
		a := newAccount()
		fx.chain.register(a.addr()) // a bond, refunded when it leaves
		sybils[a.addr()] = true
		accounts = append(accounts, a)
	}
	if err := fx.srv.Load(t.Context()); err != nil { // reads the active providers
		t.Fatal(err)
	}
	if err := provider.client(fx.url).Holds(t.Context(), 1, 1); err != nil {
		t.Fatalf("the bidder's probe: %v", err)
	}

	// The sybils have been at it for a while: each look-up refused as soon
	// as the node answers, and asked again once its refusal is no longer
	// cached (a second).
	for range 4 {
		for _, a := range accounts {
			fx.wantNoAccess(t, a, "/v1/datasets/1/chunks/0")
		}
		ahead(2 * time.Second)
	}

	// The node is under load: one look-up in flight each.
	holdLookups(t, fx, gate(t, fx, func(a string) bool { return sybils[a] }), accounts)

	// The award: the chain grants the winner the pinned version. It fetches
	// its inputs, honouring Retry-After, for 5 s.
	fx.chain.award(1, provider.addr(), 1, 7)
	if err := awardedDownload(t, fx, provider); err != nil {
		t.Fatalf("the awarded provider's download, retried for 5 s while 8 sybil providers, refused at every look-up, "+
			"held poolProviders' look-ups: %v: refundable bonds lock the winner of a job out of its inputs", err)
	}
}

// TestAttackWinnerOfThreeJobsLosesItsPool (found by review of ac506b4): an
// honest provider that wins jobs over three datasets of this server in one
// block, its agent prefetching each at once, sends three downloads a block
// before the awards reach this server's node: each is refused (no grant
// yet), three strikes within the hour, and the winner is looked up with the
// strangers, whose pool fresh keys fill for free; its awarded look-ups are
// then answered 503 and never count the grant that would clear the
// strikes. TestProviderRefusedBeforeItsAwardKeepsItsPool checks two jobs
// only; nothing bounds the winner's jobs per server to two.
func TestAttackWinnerOfThreeJobsLosesItsPool(t *testing.T) {
	fx, _, _ := twoDatasets(t)
	_, f3 := testNPY(t, fx.dir, 8, 3, 3)
	fx.chain.list(3, 1, fx.owner.addr(), f3)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	provider := fx.registered(t)
	for _, path := range []string{"/v1/datasets/1/chunks/0", "/v1/datasets/2/chunks/0", "/v1/datasets/3/chunks/0"} {
		fx.wantNoAccess(t, provider, path) // sent a block before its award reached the node
	}
	wantPool(t, fx, provider, poolProviders, "the winner of three jobs, refused once for each a block before its award")
}
