package dataserver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// TestAttackReplaysFutureRequestSentBeforePurchase: a first-time buyer whose
// clock runs 30 s fast sends its download before its purchase is in a block
// (the case TestAttackRefusedProbeReplayedAfterAward guards for a punctual
// clock). The server refuses it 401 future_request, and since the signer has
// no access yet it records neither the nonce (RecordFuture is called only
// with access) nor a refusal (authorize: "no access: nothing to record").
// The purchase lands; once the server's clock reaches the signed time the
// copy (a TLS-terminating proxy's log, a plain-HTTP hop) is fresh, and the
// eavesdropper who replays it reads the rows the buyer paid for. Expected:
// a request refused before access opened is never served later.
func TestAttackReplaysFutureRequestSentBeforePurchase(t *testing.T) {
	fx := newFixture(t, true)
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	fx.srv.cfg.Now, fx.srv.verifier.Now = now, now
	clock.Store(fx.srv.notBefore + 10)
	buyer := newAccount() // holds no licence yet

	req, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
	if err := signedreq.Sign(req, buyer, fx.url, time.Unix(clock.Load()+30, 0)); err != nil {
		t.Fatal(err)
	}
	copyOfReq := req.Clone(t.Context())
	if status, body := get(t, req); status != http.StatusUnauthorized {
		t.Fatalf("the buyer's download signed 30 s ahead, before its purchase: %d %s, want 401 future_request", status, body)
	}

	// The purchase lands; the server's clock reaches the signed time.
	fx.chain.grant(1, buyer.addr(), 1, true)
	clock.Add(31)

	status, body := get(t, copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a download refused (signed ahead, before the purchase) was replayed after the purchase and answered %d with %d bytes: the replayer read the buyer's rows",
			status, len(body))
	}
	fx.assertNoByteLeaves(t, "replayed future request sent before the purchase", body)
}
