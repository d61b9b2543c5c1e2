package dataserver

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestAttackFewKnownAccountsFlushRefusals: RefusedPerSigner stops one known
// account from flushing the others' refusals, but the memory's total cap
// (MaxRefused) still pushes out the oldest entry of any signer. An attacker
// takes free-trial licences with MaxRefused / RefusedPerSigner accounts
// (256 at the defaults, a licence transaction each; here 4 with the memory
// scaled to 8 entries, 2 per signer), each asks for datasets this server
// does not serve: the honest licensee's refusal of version 2 goes, and its
// refused request, replayed after it buys version 2, is served. Expected:
// the licensee's refused request stays refused.
func TestAttackFewKnownAccountsFlushRefusals(t *testing.T) {
	fx := newFixture(t, true)
	_, v2 := testNPY(t, fx.dir, 12, 3, 3)
	fx.chain.list(1, 2, fx.owner.addr(), v2)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	fx.srv.refused = newRefusalBook(8, 2, fx.srv.cfg.refusalTTL())
	var flushers []account
	for range 4 {
		f := newAccount()
		fx.chain.grant(1, f.addr(), 1, true) // a free trial: known
		flushers = append(flushers, f)
	}
	for _, a := range append([]account{fx.licensee}, flushers...) {
		if status, body := get(t, fx.signed(t, a, fx.url, "/v1/datasets/1/chunks/0?version=1")); status != http.StatusOK {
			t.Fatalf("version 1 for a licensee: %d %s", status, body)
		}
	}
	refused := fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/0?version=2")
	if status, _ := get(t, refused.Clone(t.Context())); status != http.StatusForbidden {
		t.Fatalf("the licensee's version 2 before buying it: %d", status)
	}
	for n, f := range flushers {
		for i := range 2 {
			path := fmt.Sprintf("/v1/datasets/%d", 100+10*n+i) // not served here
			if status, _ := get(t, fx.signed(t, f, fx.url, path)); status != http.StatusNotFound {
				t.Fatalf("flusher %d's request %d: %d, want 404", n, i, status)
			}
		}
	}

	fx.chain.grant(1, fx.licensee.addr(), 2, true)
	time.Sleep(1100 * time.Millisecond) // the refusal leaves the access cache
	status, body := get(t, refused)
	if status == http.StatusOK {
		t.Errorf("4 known accounts' 8 refused look-ups flushed the licensee's refusal: its refused request, replayed after its purchase, was answered 200 (%d bytes of rows)", len(body))
	}
	fx.assertNoByteLeaves(t, "replayed refusal", body)
}
