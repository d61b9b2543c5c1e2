package dataserver

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestAttackKnownAccountFlushesRefusals: the known accounts' memory of
// refusals (validators, and accounts granted access since the server
// started) is safe from strangers, but not from one of its own. An account
// once granted access, a free trial's licensee, asks for datasets this
// server does not serve, one refused look-up each, nothing paid; each refusal
// is a new key in the known memory, and its oldest entries go: the honest
// licensee's refusal of version 2 among them. The licensee buys version 2,
// and whoever holds a copy of its refused request (a TLS-terminating proxy's
// log, a plain-HTTP hop) replays it within its window and reads the rows.
// (The memory is scaled down to 8 entries, 2 per signer; the rule is the
// same at 65,536 and 256.) Expected: one signer's refusals push out only its
// own, so the licensee's refused request replayed after its purchase is
// refused, and a new one is served.
func TestAttackKnownAccountFlushesRefusals(t *testing.T) {
	fx := newFixture(t, true)
	_, v2 := testNPY(t, fx.dir, 12, 3, 3)
	fx.chain.list(1, 2, fx.owner.addr(), v2)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	fx.srv.refused = newRefusalBook(8, 2, fx.srv.cfg.refusalTTL())
	flusher := newAccount()
	fx.chain.grant(1, flusher.addr(), 1, true) // a free trial: known
	for _, a := range []account{fx.licensee, flusher} {
		if status, body := get(t, fx.signed(t, a, fx.url, "/v1/datasets/1/chunks/0?version=1")); status != http.StatusOK {
			t.Fatalf("version 1 for a licensee: %d %s", status, body)
		}
	}
	refused := fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=2")
	if status, _ := get(t, refused.Clone(t.Context())); status != http.StatusForbidden {
		t.Fatalf("the licensee's version 2 before buying it: %d", status)
	}
	for i := range 20 {
		path := fmt.Sprintf("/v1/datasets/%d", 100+i) // not served here
		if status, _ := get(t, fx.signed(t, flusher, fx.url, path)); status != http.StatusNotFound {
			t.Fatalf("the flusher's request %d: %d, want 404", i, status)
		}
	}
	if k := fx.srv.refused.known.len(); k != 3 {
		t.Errorf("known refusals remembered: %d, want 3 (the licensee's 1, the flusher's cap of 2)", k)
	}

	fx.chain.grant(1, fx.licensee.addr(), 2, true)
	time.Sleep(1100 * time.Millisecond) // the refusal leaves the access cache
	status, body := get(t, refused)
	if status == http.StatusOK {
		t.Errorf("a known account's 20 refused look-ups flushed the licensee's refusal: its refused request, replayed after its purchase, was answered 200 (%d bytes of rows)", len(body))
	}
	fx.assertNoByteLeaves(t, "replayed refusal", body)
	if status, _ := get(t, fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=2")); status != http.StatusOK {
		t.Fatalf("the licensee's new request: %d", status)
	}
}
