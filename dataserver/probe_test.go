package dataserver

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// probe returns a signed HEAD (a probe) of path.
func (fx *fixture) probe(t *testing.T, s account, audience, path string) *http.Request {
	t.Helper()
	req := fx.signed(t, s, audience, path)
	req.Method = http.MethodHead
	if err := signedreq.Sign(req, s, audience, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestProbeAnswersHeldWithoutRows: a probe (a signed HEAD) of a stranger is
// answered 204 for a version the server holds and 404 for one it does not,
// with no body, no access look-up and no nonce recorded; replayed, it is
// answered the same; a probe's signature does not pass as a GET's.
// Client.Holds reads 204 as held and 404 as ErrNotServed.
func TestProbeAnswersHeldWithoutRows(t *testing.T) {
	for _, byOwner := range []bool{true, false} {
		fx := newFixture(t, byOwner)
		probe := fx.probe(t, fx.stranger, fx.url, "/v1/datasets/1/chunks/0?version=1")
		replay, asGet := probe.Clone(t.Context()), probe.Clone(t.Context())
		for i, req := range []*http.Request{probe, replay, fx.probe(t, fx.stranger, fx.url, "/v1/datasets/1")} {
			if status, body := get(t, req); status != http.StatusNoContent || len(body) != 0 {
				t.Fatalf("byOwner %v: probe %d of a held version: %d %q, want 204 and no body", byOwner, i, status, body)
			}
		}
		asGet.Method = http.MethodGet
		status, body := get(t, asGet)
		if status != http.StatusUnauthorized {
			t.Fatalf("byOwner %v: a probe sent as a GET: %d, want 401", byOwner, status)
		}
		fx.assertNoByteLeaves(t, "probe as a GET", body)
		if n, a := fx.srv.nonces.Len(), fx.srv.access.len(); n != 0 || a != 0 {
			t.Fatalf("byOwner %v: probes recorded %d nonces and %d access answers", byOwner, n, a)
		}
		if err := fx.stranger.client(fx.url).Holds(t.Context(), 1, 1); err != nil {
			t.Fatalf("byOwner %v: Holds of a held version: %v", byOwner, err)
		}

		_, f2 := testNPY(t, t.TempDir(), 10, 3, 2) // listed on chain, not held
		fx.chain.list(1, 2, fx.owner.addr(), f2)
		if status, _ := get(t, fx.probe(t, fx.stranger, fx.url, "/v1/datasets/1/chunks/0?version=2")); status != http.StatusNotFound {
			t.Fatalf("byOwner %v: probe of a version not held: %d", byOwner, status)
		}
		if err := fx.stranger.client(fx.url).Holds(t.Context(), 1, 2); !errors.Is(err, ErrNotServed) {
			t.Fatalf("byOwner %v: Holds of a version not held: %v, want ErrNotServed", byOwner, err)
		}
		if status, _ := get(t, fx.probe(t, fx.stranger, "http://127.0.0.1:1", "/v1/datasets/1?version=1")); status != http.StatusUnauthorized {
			t.Fatalf("byOwner %v: a probe signed for another server: %d, want 401", byOwner, status)
		}
	}
}

// TestHoldsReadsOlderServers: Holds sends a HEAD of the version's first
// chunk, and reads the answers of a server that predates the probe (which
// serves a HEAD as a GET without its body) as before: 200 and 403 held, 404
// not served.
func TestHoldsReadsOlderServers(t *testing.T) {
	status := http.StatusOK
	var probed string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probed = r.Method + " " + r.URL.RequestURI()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		status int
		held   bool
	}{{http.StatusOK, true}, {http.StatusForbidden, true}, {http.StatusNoContent, true}, {http.StatusNotFound, false}, {http.StatusUnauthorized, false}} {
		status = c.status
		err := newAccount().client(srv.URL).Holds(t.Context(), 1, 3)
		if probed != "HEAD /v1/datasets/1/chunks/0?version=3" {
			t.Fatalf("Holds sent %q", probed)
		}
		if held := err == nil; held != c.held || (!held && !errors.Is(err, ErrNotServed)) {
			t.Errorf("an answer %d: %v, want held %v", c.status, err, c.held)
		}
	}
}

// TestAttackStrangersCannotFlushRefusals: the refusals remembered are
// bounded, in two memories. A licensee of version 1 (an account the server
// knows) asks for version 2 before buying it and is refused; a flood of
// strangers, each refused, more than the memory holds, is answered 403 (never
// 503: a full memory refuses no look-up) and fills only the strangers'
// memory; the licensee's refusal stays, so its refused request replayed after
// its purchase is refused, and a new one is served.
func TestAttackStrangersCannotFlushRefusals(t *testing.T) {
	fx := newFixture(t, true)
	_, v2 := testNPY(t, fx.dir, 12, 3, 3)
	fx.chain.list(1, 2, fx.owner.addr(), v2)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	fx.srv.refused = newRefusalBook(2, 2, fx.srv.cfg.refusalTTL())
	if status, body := get(t, fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=1")); status != http.StatusOK {
		t.Fatalf("licensee's version 1: %d %s", status, body)
	}
	refused := fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=2")
	if status, _ := get(t, refused.Clone(t.Context())); status != http.StatusForbidden {
		t.Fatalf("licensee's version 2 before buying it: %d", status)
	}
	for i := range 20 {
		if status, _ := get(t, fx.signed(t, newAccount(), fx.url, "/v1/datasets/1")); status != http.StatusForbidden {
			t.Fatalf("stranger %d: %d, want 403", i, status)
		}
	}
	if k, s := fx.srv.refused.known.len(), fx.srv.refused.strangers.len(); k != 1 || s != 2 {
		t.Fatalf("refusals remembered: %d known, %d strangers; want 1 and 2 (the bound)", k, s)
	}
	fx.chain.grant(1, fx.licensee.addr(), 2, true)
	time.Sleep(1100 * time.Millisecond) // the refusal leaves the access cache
	status, body := get(t, refused)
	if status != http.StatusUnauthorized {
		t.Fatalf("the licensee's refused request replayed after its purchase: %d, want 401", status)
	}
	fx.assertNoByteLeaves(t, "replayed refusal", body)
	if status, _ := get(t, fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=2")); status != http.StatusOK {
		t.Fatalf("the licensee's new request: %d", status)
	}
}
