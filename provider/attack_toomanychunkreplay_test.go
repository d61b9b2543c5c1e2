package provider

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// TestAttackTooManyRefusalLeavesReplayableChunkCopy: the chunk server
// refused a request 429 at a full nonce store and recorded nothing, neither
// its nonce nor a refusal. The store drops its nonces a whole time bucket at
// a time, up to two windows after they were signed, so stale nonces still
// count towards MaxTotal and leave all at once while a request refused just
// before is still fresh. The requester's fetch, refused 429 one second into
// a bucket, was served when an eavesdropper (a TLS-terminating proxy's log,
// a plain-HTTP hop) replayed its copy 59 s later: the eavesdropper read the
// requester's result. (The cap is scaled down to 2 nonces in all.)
// Expected: the copy of a request refused at the nonce store is never
// served, and the requester's request signed anew is.
func TestAttackTooManyRefusalLeavesReplayableChunkCopy(t *testing.T) {
	s := newServed(t, 9, gemmChunks(), Config{}, Record{})
	var clock atomic.Int64
	s.a.auth.now = func() time.Time { return time.Unix(clock.Load(), 0) }
	s.a.auth.nonces.MaxTotal = 2
	const w = 60 // the verifier's window, in seconds: the store's bucket width
	b := time.Now().Unix()/w + 3
	sign := func(who signedreq.Signer, at int64) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/jobs/9/chunks/1", nil)
		if err := signedreq.Sign(req, who, s.url, time.Unix(at, 0)); err != nil {
			t.Fatal(err)
		}
		return req
	}

	// Two reads of a validator's sidecar fill the store (bucket b-2).
	clock.Store((b-2)*w + 1)
	for range 2 {
		if status, body := doRequest(t, sign(s.validator, clock.Load())); status != http.StatusOK {
			t.Fatalf("a validator's read: %d %s", status, body)
		}
	}

	// Two minutes on, one second into bucket b, those nonces are stale but
	// still held: the requester's fetch is refused 429; the eavesdropper
	// keeps a copy.
	clock.Store(b*w + 1)
	req := sign(s.requester, clock.Load())
	copyOfReq := req.Clone(t.Context())
	if status, body := doRequest(t, req); status != http.StatusTooManyRequests {
		t.Fatalf("the requester's fetch with the store full: %d %s, want 429", status, body)
	}

	// 59 s later the copy is still fresh, and bucket b-2 has gone.
	clock.Store((b + 1) * w)
	status, body := doRequest(t, copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a fetch refused 429 (its nonce not recorded) was replayed 59 s later and answered %d with %d bytes: the replayer read the requester's result",
			status, len(body))
	}
	assertNoByteLeaves(t, "replayed 429 request", body, s.chunks...)

	// The requester signs its retry anew: served.
	if status, body := doRequest(t, sign(s.requester, clock.Load())); status != http.StatusOK {
		t.Fatalf("the requester's fetch signed anew: %d %s", status, body)
	}
}
