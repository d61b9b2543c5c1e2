package dataserver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// TestAttackFarFutureRefusalLeavesReplayableCopy: the fix of
// TestAttackFutureRefusalLeavesReplayableCopy (serve.go authorize)
// remembers a request refused as signed in the future only when it is
// signed at most a window ahead of the clock. A licensee whose clock runs
// further fast (a window and 30 s here) has its downloads refused
// future_request and nothing remembered; once the server's clock reaches
// the signed time, a copy of the refused request (a TLS-terminating
// proxy's log, a plain-HTTP hop) is fresh, and the eavesdropper who
// replays it reads the rows the licensee paid for. Expected: a request
// refused as signed in the future is never served later, however far
// ahead it was signed.
func TestAttackFarFutureRefusalLeavesReplayableCopy(t *testing.T) {
	fx := newFixture(t, true)
	assertFutureCopyRefused(t, fx, int64(fx.srv.cfg.Window/time.Second)+30)
}

// TestAttackReplaysRequestSignedPastTheFutureHorizon: the fix of
// TestAttackFarFutureRefusalLeavesReplayableCopy records the nonce of a
// request refused as signed in the future (NonceStore.RecordFuture), but
// only when it is signed at most FutureHorizon (10 min) ahead; further
// ahead nothing was recorded, neither nonce nor refusal. A licensee whose
// clock runs 11 minutes fast (an unsynced laptop) had every download
// refused future_request; once the server's clock reached the signed
// time, a copy was fresh for a whole window and the eavesdropper who
// replayed it read the rows the licensee paid for.
func TestAttackReplaysRequestSignedPastTheFutureHorizon(t *testing.T) {
	fx := newFixture(t, true)
	assertFutureCopyRefused(t, fx, int64((signedreq.FutureHorizon+time.Minute)/time.Second))
}

// assertFutureCopyRefused has the licensee's download signed ahead seconds
// ahead of the server's clock refused, moves the clock there and replays
// the copy: it must not be served.
func assertFutureCopyRefused(t *testing.T, fx *fixture, ahead int64) {
	t.Helper()
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	fx.srv.cfg.Now, fx.srv.verifier.Now = now, now
	clock.Store(fx.srv.notBefore + 10)

	req, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
	if err := signedreq.Sign(req, fx.licensee, fx.url, time.Unix(clock.Load()+ahead, 0)); err != nil {
		t.Fatal(err)
	}
	copyOfReq := req.Clone(t.Context())
	if status, body := get(t, req); status != http.StatusUnauthorized {
		t.Fatalf("the licensee's download signed %d s ahead: %d %s, want 401 future_request", ahead, status, body)
	}

	// Once the clock reaches the signed time, the copy is fresh.
	clock.Add(ahead)
	status, body := get(t, copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a download refused as signed %d s in the future (window %s) was replayed %d s later and answered %d with %d bytes: the replayer read the licensee's rows",
			ahead, fx.srv.cfg.Window, ahead, status, len(body))
	}
	fx.assertNoByteLeaves(t, "replayed far-future request", body)
}
