package dataserver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// TestAttackFutureRefusalLeavesReplayableCopy: a request signed more than
// FutureSkew (5 s) ahead of the server's clock is refused 401
// future_request before its signature is even checked, so neither its nonce
// nor a refusal is recorded (refused.go: "a refused request never turns into
// a read"). A licensee whose clock runs 30 s fast has each download refused
// that way (Client does not sign anew); once the server's clock reaches the
// signed time, a copy of the refused request (a TLS-terminating proxy's log,
// a plain-HTTP hop) is fresh for a whole window, and the eavesdropper who
// replays it reads the rows the licensee paid for. Expected: a request
// refused as signed in the future is never served later.
func TestAttackFutureRefusalLeavesReplayableCopy(t *testing.T) {
	fx := newFixture(t, true)
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	fx.srv.cfg.Now, fx.srv.verifier.Now = now, now
	clock.Store(fx.srv.notBefore + 10)

	// The licensee's clock is 30 s fast.
	req, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
	if err := signedreq.Sign(req, fx.licensee, fx.url, time.Unix(clock.Load()+30, 0)); err != nil {
		t.Fatal(err)
	}
	copyOfReq := req.Clone(t.Context())
	if status, body := get(t, req); status != http.StatusUnauthorized {
		t.Fatalf("the licensee's download signed 30 s ahead: %d %s, want 401 future_request", status, body)
	}

	// 40 s later the copy is well within its window.
	clock.Add(40)
	status, body := get(t, copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a download refused as signed in the future was replayed 40 s later and answered %d with %d bytes: the replayer read the licensee's rows",
			status, len(body))
	}
	fx.assertNoByteLeaves(t, "replayed future request", body)
}
