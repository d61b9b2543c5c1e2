package dataserver

import (
	"net/http"
	"testing"
	"time"

	"github.com/aichain/aichain/workload/dataset"
)

// twoDatasets is a fixture serving a second dataset (2, version 1, file
// f2) of the same owner, with its clock's ahead (skewClock).
func twoDatasets(t *testing.T) (fx *fixture, f2 *dataset.Description, ahead func(time.Duration)) {
	t.Helper()
	fx = newFixture(t, true)
	_, f2 = testNPY(t, fx.dir, 8, 3, 2)
	fx.chain.list(2, 1, fx.owner.addr(), f2)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	return fx, f2, skewClock(fx)
}

// registered returns a new account registered as an active provider, read
// by the server.
func (fx *fixture) registered(t *testing.T) account {
	t.Helper()
	a := newAccount()
	fx.chain.register(a.addr())
	if err := fx.srv.refreshMarked(t.Context()); err != nil {
		t.Fatal(err)
	}
	return a
}

func wantPool(t *testing.T, fx *fixture, a account, want int, when string) {
	t.Helper()
	if got := fx.srv.pool(a.addr()); got != want {
		t.Fatalf("%s: looked up in pool %d, want %d", when, got, want)
	}
}

// TestProviderRefusedBeforeItsAwardKeepsItsPool: the winner of jobs over
// two datasets of this server whose first downloads went out a block before
// the awards reached this server's node (refused, each) keeps poolProviders,
// and its job's grant forgets the strikes.
func TestProviderRefusedBeforeItsAwardKeepsItsPool(t *testing.T) {
	fx, f2, ahead := twoDatasets(t)
	provider := fx.registered(t)
	fx.wantNoAccess(t, provider, "/v1/datasets/1/chunks/0")
	fx.wantNoAccess(t, provider, "/v1/datasets/2/chunks/0")
	wantPool(t, fx, provider, poolProviders, "refused once for each of two datasets")

	fx.chain.award(1, provider.addr(), 1, 7)
	fx.chain.award(2, provider.addr(), 1, 8)
	ahead(2 * time.Second) // the refusals are no longer cached
	c := provider.client(fx.url)
	if _, err := c.Download(t.Context(), 1, 1, fx.expect()); err != nil {
		t.Fatalf("the awarded provider's download of dataset 1: %v", err)
	}
	if _, err := c.Download(t.Context(), 2, 1, Expect{Sha256: f2.Sha256, Rows: f2.Rows, Cols: f2.Cols}); err != nil {
		t.Fatalf("the awarded provider's download of dataset 2: %v", err)
	}
	if n, ok := fx.srv.lk.strikes.get(provider.addr(), fx.srv.cfg.Now()); ok {
		t.Fatalf("the job's grant left %d strikes", n)
	}
	wantPool(t, fx, provider, poolProviders, "after its job's grant")
}

// TestSybilProviderLeavesTheProvidersPool: a provider refused
// providerStrikes times on a dataset, past its first refusal there, is
// looked up with everyone else; a licence (a free trial) granted between
// does not clear its strikes; it stays out while it goes on asking, comes
// back after strikeFor without a strike, and a job's grant clears them at
// once. Its look-ups in poolProviders are counted: at most providerStrikes
// + 1 a strikeFor on one dataset (strikes.go: the attacker's cost).
func TestSybilProviderLeavesTheProvidersPool(t *testing.T) {
	fx, _, ahead := twoDatasets(t)
	sybil := fx.registered(t)
	fx.chain.grant(1, sybil.addr(), 1, true) // a free trial of dataset 1
	refusedInPool := 0
	refuse := func() {
		t.Helper()
		if fx.srv.pool(sybil.addr()) == poolProviders {
			refusedInPool++
		}
		fx.wantNoAccess(t, sybil, "/v1/datasets/2/chunks/0")
		ahead(2 * time.Second) // past the cached refusal
	}
	read := func(path string) {
		t.Helper()
		if status, body := get(t, fx.signed(t, sybil, fx.url, path)); status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		ahead(6 * time.Second) // past the cached grant (AccessTTL)
	}
	for i := range providerStrikes + 1 { // its first refusal on dataset 2, then its strikes
		refuse()
		read("/v1/datasets/1/chunks/0") // the licence clears nothing
		if i < providerStrikes {
			wantPool(t, fx, sybil, poolProviders, "before its last strike")
		}
	}
	// Among the accounts that had access (its trial): where free licensees
	// look up, never the awarded provider.
	wantPool(t, fx, sybil, poolKnown, "after its strikes")
	for range 4 { // asking on, every half strikeFor
		ahead(strikeFor / 2)
		refuse()
		wantPool(t, fx, sybil, poolStrangers, "asking on")
	}
	ahead(strikeFor + time.Second)
	wantPool(t, fx, sybil, poolProviders, "quiet for strikeFor")
	for range providerStrikes + 1 {
		refuse()
	}
	wantPool(t, fx, sybil, poolStrangers, "struck again")
	if want := 2 * (providerStrikes + 1); refusedInPool != want {
		t.Fatalf("%d refused look-ups in poolProviders over 4 hours, want %d", refusedInPool, want)
	}
	fx.chain.award(2, sybil.addr(), 1, 9)
	read("/v1/datasets/2/chunks/0?version=1") // not the key refused this second
	wantPool(t, fx, sybil, poolProviders, "granted by a job")
}
