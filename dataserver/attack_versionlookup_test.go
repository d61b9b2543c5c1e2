package dataserver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aichain/aichain/x/datamarket/types"
)

// slowVersions holds every DatasetVersion query until release closes (a
// node across a network, or under load), counting those in flight.
type slowVersions struct {
	*fakeChain
	mu       sync.Mutex
	inFlight int
	most     int
	release  chan struct{}
}

func (c *slowVersions) DatasetVersion(ctx context.Context, id, v uint64) (types.DatasetVersion, error) {
	c.mu.Lock()
	c.inFlight++
	c.most = max(c.most, c.inFlight)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	select {
	case <-c.release:
	case <-ctx.Done():
		return types.DatasetVersion{}, ctx.Err()
	}
	return c.fakeChain.DatasetVersion(ctx, id, v)
}

// TestAttackStrangersVersionLookupsAreUnbounded: a request naming a version
// (?version=V) reads the version's record from the chain (Server.locate)
// before the signer's access is checked, outside the look-up pools that
// bound every access look-up (LookupsPerPool), with no sharing between
// concurrent requests and no per-account rule. Until a version's record is
// cached (after every start, for every new version, and for as long as the
// node fails: errors are not cached), fresh keys that cost nothing — or one
// key replaying one signed request — put as many chain queries in flight as
// they send requests, each held up to ChainTimeout against a slow node. Now
// concurrent misses of one version share one query, run in a slot of the
// asker's look-up pool (versions.go).
func TestAttackStrangersVersionLookupsAreUnbounded(t *testing.T) {
	fx := newFixture(t, true) // version 1's record not read yet
	sc := &slowVersions{fakeChain: fx.chain, release: make(chan struct{})}
	fx.srv.cfg.Chain = sc
	var once sync.Once
	release := func() { once.Do(func() { close(sc.release) }) }
	t.Cleanup(release)

	const n = 40
	var wg sync.WaitGroup
	replayed := fx.signed(t, newAccount(), fx.url, "/v1/datasets/1/chunks/0?version=1")
	for i := range n {
		req := replayed.Clone(t.Context())
		if i%2 == 1 {
			req = fx.signed(t, newAccount(), fx.url, "/v1/datasets/1/chunks/0?version=1")
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = send(req) }()
	}
	time.Sleep(time.Second)
	sc.mu.Lock()
	most := sc.most
	sc.mu.Unlock()
	release()
	wg.Wait()
	t.Logf("%d strangers' requests put %d version queries in flight at once", n, most)
	if limit := fx.srv.cfg.LookupsPerPool; most > limit {
		t.Errorf("%d requests of strangers (half of them one replayed request) put %d chain queries in flight at once, past the %d a pool of look-ups allows", n, most, limit)
	}
	if status, _ := get(t, fx.signed(t, fx.stranger, fx.url, "/v1/datasets/1/chunks/0?version=1")); status != http.StatusForbidden {
		t.Fatalf("a stranger after the node answered: %d", status)
	}
}

// TestAttackCancelledVersionLookupFailsNoOther: the request that started a
// version's query goes away (its client hung up); the query goes on, and a
// request waiting for the same version gets the record, not the first one's
// cancellation; one query was made.
func TestAttackCancelledVersionLookupFailsNoOther(t *testing.T) {
	fx := newFixture(t, true)
	sc := &slowVersions{fakeChain: fx.chain, release: make(chan struct{})}
	fx.srv.cfg.Chain = sc
	var once sync.Once
	release := func() { once.Do(func() { close(sc.release) }) }
	t.Cleanup(release)

	first, cancel := context.WithCancel(t.Context())
	firstErr := make(chan error, 1)
	go func() {
		_, err := fx.srv.versionFor(first, 1, 1, newAccount().addr())
		firstErr <- err
	}()
	for inFlight := 0; inFlight == 0; {
		time.Sleep(10 * time.Millisecond)
		sc.mu.Lock()
		inFlight = sc.inFlight
		sc.mu.Unlock()
	}
	type result struct {
		dv  types.DatasetVersion
		err error
	}
	second := make(chan result, 1)
	go func() {
		dv, err := fx.srv.versionFor(t.Context(), 1, 1, newAccount().addr())
		second <- result{dv, err}
	}()
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller: %v, want context.Canceled", err)
	}
	release()
	r := <-second
	if r.err != nil || r.dv.Version != 1 || r.dv.Sha256 != fx.file.Sha256 {
		t.Fatalf("the caller that stayed: %+v %v, want version 1's record", r.dv, r.err)
	}
	sc.mu.Lock()
	most := sc.most
	sc.mu.Unlock()
	if most != 1 {
		t.Fatalf("%d queries in flight at once for one version, want 1", most)
	}
}
