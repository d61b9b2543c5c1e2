package dataserver

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// TestAttackTooManyRefusalLeavesReplayableCopy: authorize promises that "a
// request whose nonce was not recorded is never served later" (refused.go:
// a refused request never turns into a read). A request refused 429 at the
// nonce store because the store holds MaxTotal nonces records neither its
// nonce nor a refusal. The store drops its nonces a whole time bucket at a
// time, and keeps a bucket up to two windows after it was signed: nonces of
// requests long stale still count towards MaxTotal, and leave it all at once
// when their bucket goes, while a request refused just before is still
// fresh. A licensee's download, refused 429 one second into a bucket, is
// served when an eavesdropper (a TLS-terminating proxy's log, a plain-HTTP
// hop) replays its copy 59 seconds later, and the eavesdropper reads the
// rows the licensee paid for without a licence. (The cap is scaled down: 2
// nonces in all; a licensee of a free offer, or plain traffic, fills it.)
// Expected: the copy of a request refused at the nonce store is never served.
func TestAttackTooManyRefusalLeavesReplayableCopy(t *testing.T) {
	fx := newFixture(t, true)
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	fx.srv.cfg.Now, fx.srv.verifier.Now = now, now
	fx.srv.nonces.MaxTotal = 2
	const w = 60 // the fixture's Window, in seconds: the store's bucket width
	b := fx.srv.notBefore/w + 3
	sign := func(a account, at int64) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1", nil)
		if err := signedreq.Sign(req, a, fx.url, time.Unix(at, 0)); err != nil {
			t.Fatal(err)
		}
		return req
	}

	// Two downloads of another licensee fill the store (bucket b-2).
	other := newAccount()
	fx.chain.grant(1, other.addr(), 1, true)
	clock.Store((b-2)*w + 1)
	for range 2 {
		if status, body := get(t, sign(other, clock.Load())); status != http.StatusOK {
			t.Fatalf("another licensee's download: %d %s", status, body)
		}
	}

	// Two minutes on, one second into bucket b, those nonces are long stale
	// but still held: the licensee's download is refused 429; the
	// eavesdropper keeps a copy.
	clock.Store(b*w + 1)
	req := sign(fx.licensee, clock.Load())
	copyOfReq := req.Clone(t.Context())
	if status, body := get(t, req); status != http.StatusTooManyRequests {
		t.Fatalf("the licensee's download with the store full: %d %s, want 429", status, body)
	}

	// 59 seconds later the copy is still fresh, and bucket b-2 has gone.
	clock.Store((b+1)*w + 0)
	status, body := get(t, copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a download refused 429 (its nonce not recorded) was replayed 59 s later and answered %d with %d bytes: the replayer read the licensee's rows",
			status, len(body))
	}
	fx.assertNoByteLeaves(t, "replayed 429 request", body)
}
