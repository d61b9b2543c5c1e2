package dataserver

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// gatedChain holds the access look-ups of the accounts that slow names
// until release closes (or the look-up's context ends), as a node across a
// network or under load does, and reports each one on arrived.
type gatedChain struct {
	*fakeChain
	slow    func(addr string) bool
	arrived chan string
	release chan struct{}
}

func (c gatedChain) HasAccess(ctx context.Context, id uint64, addr string, version uint64) (Access, error) {
	if c.slow(addr) {
		c.arrived <- addr
		select {
		case <-c.release:
		case <-ctx.Done():
			return Access{}, ctx.Err()
		}
	}
	return c.fakeChain.HasAccess(ctx, id, addr, version)
}

// TestAttackStrangersCannotStarveAccessLookups: accounts with no access
// (fresh keys, nothing paid) kept the server's 16 shared access look-ups
// busy against a slow node; a licensee, and a validator's signed probe of
// an aborted job's inputs, were then answered 503 at once. Three probes
// answered 503 make the validator vote DATASET_UNAVAILABLE, which lets an
// aborting provider off its collateral: a provider that wanted out of a job
// could flood the honest server. One key replaying one signed request took
// a slot per copy. Now bonded validators' operators, accounts that had
// access in the last 10 minutes and everyone else look up in separate
// pools; an account has one look-up in flight, shared by the copies of one
// request; strangers fill only their own pool, and the one beyond it is
// answered 503 with Retry-After.
func TestAttackStrangersCannotStarveAccessLookups(t *testing.T) {
	fx := newFixture(t, true)
	validator := newAccount()
	fx.chain.bond(validator.addr())
	// The licensee downloads once: an account that had access.
	if status, body := get(t, fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1")); status != http.StatusOK {
		t.Fatalf("licensee's first download: %d %s", status, body)
	}
	honest := map[string]bool{fx.licensee.addr(): true, validator.addr(): true}
	g := gate(t, fx, func(a string) bool { return !honest[a] })
	gc, release, results, start, wg := g.chain, g.release, g.results, g.start, &g.wg
	if err := fx.srv.Load(t.Context()); err != nil { // reads the bonded validators
		t.Fatal(err)
	}
	// One stranger replays one signed request 6 times, and sends another:
	// one look-up at a time.
	replayer := newAccount()
	replayed := fx.signed(t, replayer, fx.url, "/v1/datasets/1")
	for range 6 {
		start(replayed.Clone(t.Context()))
	}
	waitArrival(t, gc.arrived)
	start(fx.signed(t, replayer, fx.url, "/v1/datasets/1/chunks/0?version=1"))
	time.Sleep(200 * time.Millisecond)
	extra := 0
	for ; len(gc.arrived) > 0; extra++ {
		<-gc.arrived
	}
	if extra > 0 {
		t.Errorf("7 requests of one stranger made %d look-ups at once", 1+extra)
	}
	held := 1 + extra + fillPool(t, fx, gc.arrived, results, start)
	t.Logf("strangers hold %d look-ups", held)
	if held != fx.srv.cfg.LookupsPerPool {
		t.Errorf("strangers hold %d look-ups, want their pool's %d", held, fx.srv.cfg.LookupsPerPool)
	}

	// While they do, a licensee seen before and a validator's probe are answered.
	if status, body := get(t, fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=1")); status != http.StatusOK {
		t.Errorf("licensee refused while strangers' look-ups ran: %d %s", status, body)
	}
	if err := (&Client{BaseURL: fx.url, Signer: validator}).Holds(t.Context(), 1, 1); err != nil {
		t.Errorf("validator's probe of a held version while strangers' look-ups ran: %v", err)
	}
	release()
	wg.Wait()
	close(results)
	for a := range results {
		if a.err != nil || a.status != http.StatusForbidden {
			t.Errorf("a stranger's held request: %d %v, want 403 once the node answers", a.status, a.err)
		}
	}
}

// fillPool sends requests of fresh strangers until one is answered 503
// busy, and returns how many reached the chain before it. It checks that
// the 503 carries Retry-After.
func fillPool(t *testing.T, fx *fixture, arrived chan string, results chan answer, start func(*http.Request)) int {
	t.Helper()
	for n := 0; n < 64; n++ {
		start(fx.signed(t, newAccount(), fx.url, "/v1/datasets/1/chunks/0"))
		select {
		case <-arrived:
		case a := <-results:
			if a.err != nil || a.status != http.StatusServiceUnavailable {
				t.Fatalf("stranger %d answered %d %v while look-ups were held", n, a.status, a.err)
			}
			if a.retryAfter == "" {
				t.Errorf("503 busy without Retry-After")
			}
			return n
		case <-time.After(10 * time.Second):
			t.Fatalf("stranger %d: neither a look-up nor an answer", n)
		}
	}
	t.Fatal("64 strangers' look-ups held at once")
	return 0
}

func waitArrival(t *testing.T, arrived chan string) {
	t.Helper()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no look-up reached the chain")
	}
}

// gated is a fixture's server whose access look-ups of the accounts slow
// says wait until release (gatedChain), with requests sent on goroutines
// (start) whose answers arrive on results.
type gated struct {
	chain   gatedChain
	release func()
	results chan answer
	wg      sync.WaitGroup
}

func gate(t *testing.T, fx *fixture, slow func(string) bool) *gated {
	g := &gated{chain: gatedChain{fakeChain: fx.chain, slow: slow, arrived: make(chan string, 256), release: make(chan struct{})},
		results: make(chan answer, 256)}
	fx.srv.cfg.Chain = g.chain
	var once sync.Once
	g.release = func() { once.Do(func() { close(g.chain.release) }) }
	t.Cleanup(g.release)
	return g
}

func (g *gated) start(req *http.Request) {
	g.wg.Add(1)
	go func() { defer g.wg.Done(); g.results <- send(req) }()
}
