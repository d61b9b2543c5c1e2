package dataserver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// TestAttackLicenseeNotSeenForTenMinutesIsAStrangersRefusal: d18ae5a keeps
// the refusals of known accounts ("validators, and accounts that had access:
// a licensee asking for a version it has not bought", README) where
// strangers cannot push them out. But "known" is read at record time from
// the look-up pools' cache of accounts with a positive answer in the last
// knownFor (10 minutes, in memory, empty after a restart). A licensee of
// version 1 that last read it 11 minutes ago (or before the server
// restarted) asks for the new version 2 before buying it: its refusal goes
// to the strangers' memory, whose oldest entry goes when it is full. Fresh
// keys asking for what they have not bought (one 403 each, nothing paid)
// flush it; the licensee buys version 2, and whoever holds a copy of the
// refused request (a TLS-terminating proxy's log, a plain-HTTP hop) replays
// it within its window and reads the rows: the hole of
// TestAttackStrangersBurstFlushesARefusal, open again for every licensee
// the server has not seen within 10 minutes. The memory is scaled down to 4
// entries only to keep the test short; the rule is the same at 65,536.
func TestAttackLicenseeNotSeenForTenMinutesIsAStrangersRefusal(t *testing.T) {
	fx := newFixture(t, true)
	_, v2 := testNPY(t, fx.dir, 12, 3, 3)
	fx.chain.list(1, 2, fx.owner.addr(), v2)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	fx.srv.cfg.Now, fx.srv.verifier.Now = clock, clock
	fx.srv.refused = newRefusalBook(4, 4, fx.srv.cfg.refusalTTL())
	signed := func(a account, path string) *http.Request {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, fx.url+path, nil)
		if err := signedreq.Sign(req, a, fx.url, clock()); err != nil {
			t.Fatal(err)
		}
		return req
	}

	// The licensee reads version 1 (an account that had access) ...
	if status, body := get(t, signed(fx.licensee, "/v1/datasets/1/chunks/0?version=1")); status != http.StatusOK {
		t.Fatalf("licensee's version 1: %d %s", status, body)
	}
	// ... and 11 minutes later asks for version 2 before buying it; an
	// eavesdropper keeps a copy.
	skew.Store(int64(11 * time.Minute))
	refused := signed(fx.licensee, "/v1/datasets/1/chunks/0?version=2")
	if status, _ := get(t, refused.Clone(t.Context())); status != http.StatusForbidden {
		t.Fatalf("licensee's version 2 before buying it: %d", status)
	}
	t.Logf("the licensee's refusal: %d in the known accounts' memory, %d in the strangers'",
		fx.srv.refused.known.len(), fx.srv.refused.strangers.len())

	// Strangers: fresh keys, one refused look-up each.
	for i := range 4 {
		if status, _ := get(t, signed(newAccount(), "/v1/datasets/1")); status != http.StatusForbidden {
			t.Fatalf("stranger %d: %d, want 403", i, status)
		}
	}

	// The licensee buys version 2; the copy is replayed within its window.
	fx.chain.grant(1, fx.licensee.addr(), 2, true)
	time.Sleep(1100 * time.Millisecond) // the refusal leaves the access cache
	if status, body := get(t, refused); status == http.StatusOK {
		t.Errorf("a licensee of version 1 not seen for 10 minutes had its refusal kept with the strangers', flushed by 4 fresh keys: "+
			"its refused request, replayed after its purchase, was answered 200 (%d bytes of rows)", len(body))
	}
}
