package dataserver

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestAttackFreeLicenseesLockOutTheAwardedProvider: the winner of a compute
// job looks its access up in poolKnown (an active provider), the pool of
// "accounts that had access in the last 10 minutes" (lookup.go). Any
// licensee is one of those after its first download, a licensee of a free
// trial too, and an account may hold a look-up of its own in each of its
// requests' access keys in turn (a version asked explicitly is another key
// than the current one). Eight accounts that took a free trial (nothing
// paid but fees), each with one look-up in flight against a node under load,
// hold all of poolKnown's 8 slots; every download of the newly awarded
// provider is then answered 503 at once for as long as they keep at it: it
// aborts with INPUTS_UNAVAILABLE while the validators' probes (HEAD, their
// own pool) find the inputs held, and forfeits its collateral as for a
// timeout. Downloads and nonces keep a reserve for a job's winner
// (ReservedDownloads, UseReserved: "licensees, however many licences they
// bought, cannot keep a job's winner from its inputs"); access look-ups do
// not. Expected: the awarded provider's download goes through.
func TestAttackFreeLicenseesLockOutTheAwardedProvider(t *testing.T) {
	fx := newFixture(t, true)
	provider := newAccount()
	fx.chain.register(provider.addr())
	if err := fx.srv.Load(t.Context()); err != nil { // reads the active providers
		t.Fatal(err)
	}
	if err := provider.client(fx.url).Holds(t.Context(), 1, 1); err != nil {
		t.Fatalf("the bidder's probe: %v", err)
	}

	// Eight accounts take the free trial and download once: each is now
	// an account that had access.
	sybils := map[string]bool{}
	var accounts []account
	for range fx.srv.cfg.LookupsPerPool {
		a := newAccount()
		fx.chain.grant(1, a.addr(), 1, true)
		if status, body := get(t, fx.signed(t, a, fx.url, "/v1/datasets/1")); status != http.StatusOK {
			t.Fatalf("a trial licensee's download: %d %s", status, body)
		}
		sybils[a.addr()] = true
		accounts = append(accounts, a)
	}

	// The node is under load; each of them asks for the version explicitly
	// (another access key: a look-up), one look-up in flight each.
	holdLookups(t, fx, gate(t, fx, func(a string) bool { return sybils[a] }), accounts)

	// The award: the chain grants the winner the pinned version. It fetches
	// its inputs, honouring Retry-After, for 5 s.
	fx.chain.award(1, provider.addr(), 1, 7)
	if err := awardedDownload(t, fx, provider); err != nil {
		t.Fatalf("the awarded provider's download, retried for 5 s while 8 free-trial licensees held poolKnown's look-ups: %v: "+
			"licences that cost nothing lock the winner of a job out of its inputs", err)
	}
}

// holdLookups has each of accounts start a request whose access look-up g
// holds, one at a time, each arrived at the chain before the next.
func holdLookups(t *testing.T, fx *fixture, g *gated, accounts []account) {
	t.Helper()
	for _, a := range accounts {
		g.start(fx.signed(t, a, fx.url, "/v1/datasets/1/chunks/0?version=1"))
		waitArrival(t, g.chain.arrived)
	}
}

// awardedDownload is the awarded provider's download of dataset 1 version 1,
// asked again while it is busy (after its Retry-After) for 5 s: nil once it
// has the bytes.
func awardedDownload(t *testing.T, fx *fixture, provider account) error {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := provider.client(fx.url).Download(t.Context(), 1, 1, fx.expect())
		var busy *BusyError
		if !errors.As(err, &busy) || !time.Now().Before(deadline) {
			return err
		}
		time.Sleep(max(busy.RetryAfter, 200*time.Millisecond))
	}
}
