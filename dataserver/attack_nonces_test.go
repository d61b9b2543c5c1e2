package dataserver

import (
	"net/http"
	"testing"
)

// TestAttackLicenseesFillTheNonceStore: the server holds at most MaxTotal
// fresh nonces (2,000,000), and each account up to NoncesPerAddress
// (20,000) a window. Licensees of a free or cheap offer, as many accounts as
// the attacker opens, filled the store, and every later request got 429:
// the job winner's download of its input too (its provider misses its
// window and loses its collateral). Now a job's winner (and a bonded
// validator) is refused only past its own per-account cap; another licensee
// still gets 429. (The caps are scaled down here: 2 per account, 4 in all.)
func TestAttackLicenseesFillTheNonceStore(t *testing.T) {
	fx := newFixture(t, true)
	winner := newAccount()
	fx.chain.award(1, winner.addr(), 1, 7)
	fx.srv.nonces.PerAddress, fx.srv.nonces.MaxTotal = 2, 4
	const chunk = "/v1/datasets/1/chunks/0?version=1"
	for range 2 {
		sybil := newAccount()
		fx.chain.grant(1, sybil.addr(), 1, true)
		for range 2 {
			if status, body := get(t, fx.signed(t, sybil, fx.url, chunk)); status != http.StatusOK {
				t.Fatalf("a licensee's request under the caps: %d %s", status, body)
			}
		}
	}
	if status, body := get(t, fx.signed(t, fx.licensee, fx.url, chunk)); status != http.StatusTooManyRequests {
		t.Fatalf("another licensee with the store full: %d %s, want 429", status, body)
	}
	if status, body := get(t, fx.signed(t, winner, fx.url, chunk)); status != http.StatusOK {
		t.Errorf("the job winner's read of its input with the store full: %d %s", status, body)
	}
}
