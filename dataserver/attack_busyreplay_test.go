package dataserver

import (
	"net/http"
	"testing"
)

// TestAttackBusyRefusalLeavesReplayableCopy: refused.go promises that a
// request refused before its signer had access never turns into a read once
// access opens (the nonce of a refused request is not recorded, so its copy
// stays valid for the window). The promise is kept only for a refusal whose
// look-up answered "no access" (403): a request refused 503 busy at the
// access look-up records neither its nonce nor a refusal. Strangers' fresh
// keys cost nothing and fill the strangers' look-up pool at will
// (TestAttackStrangersCannotStarveAccessLookups), so an attacker makes a
// first-time buyer's download, sent before its purchase is in a block, come
// back 503; whoever holds a copy of that request (a TLS-terminating proxy's
// log, a plain-HTTP hop) replays it once the purchase lands and reads the
// rows the buyer paid for. Now every refusal between the signature's check
// and the nonce's (busy, chain unavailable, not found, no access) is
// remembered, so a request whose nonce was not recorded is never served
// later.
func TestAttackBusyRefusalLeavesReplayableCopy(t *testing.T) {
	fx := newFixture(t, true)
	buyer := newAccount() // a first-time buyer: a stranger to this server
	g := gate(t, fx, func(a string) bool { return a != buyer.addr() })

	// The attacker's fresh keys hold every look-up slot of the strangers.
	held := fillPool(t, fx, g.chain.arrived, g.results, g.start)
	if held != fx.srv.cfg.LookupsPerPool {
		t.Fatalf("strangers hold %d look-ups, want %d", held, fx.srv.cfg.LookupsPerPool)
	}

	// The buyer's download goes out before its purchase is in a block; the
	// eavesdropper keeps a copy. It is answered 503 busy.
	req := fx.signed(t, buyer, fx.url, "/v1/datasets/1")
	copyOfReq := req.Clone(t.Context())
	if status, body := get(t, req); status != http.StatusServiceUnavailable {
		t.Fatalf("buyer's download while the strangers' pool is full: %d %s, want 503", status, body)
	}

	// The flood stops; the purchase lands.
	g.release()
	g.wg.Wait()
	fx.chain.grant(1, buyer.addr(), 1, true)

	// The eavesdropper replays the copy, well within its window.
	status, body := get(t, copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a download refused 503 before the purchase was replayed after it and answered %d with %d bytes: the replayer read the buyer's rows", status, len(body))
	}
	fx.assertNoByteLeaves(t, "replayed busy request", body)
}
