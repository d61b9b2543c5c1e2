package provider

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// TestAttackFutureRefusalLeavesReplayableChunkCopy: the provider's chunk
// server has the replay gap the data server closed
// (dataserver TestAttackFutureRefusalLeavesReplayableCopy): a request
// signed more than FutureSkew (5 s) ahead of its clock is refused 401
// future_request with no nonce recorded (admit: Verify fails before the
// nonce store), so once the clock gets there a copy of it (a
// TLS-terminating proxy's log, a plain-HTTP hop) is fresh, and whoever
// replays it reads the requester's result chunk. Expected: a request
// refused as signed in the future is never served later.
func TestAttackFutureRefusalLeavesReplayableChunkCopy(t *testing.T) {
	s := newServed(t, 9, gemmChunks(), Config{}, Record{})
	// The requester's clock runs 7 s fast.
	at := time.Now().Add(7 * time.Second)
	req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/jobs/9/chunks/1", nil)
	if err := signedreq.Sign(req, s.requester, s.url, at); err != nil {
		t.Fatal(err)
	}
	copyOfReq := req.Clone(t.Context())
	if status, body := doRequest(t, req); status != http.StatusUnauthorized {
		t.Fatalf("the requester's fetch signed 7 s ahead: %d %s, want 401 future_request", status, body)
	}
	// 3 s later the copy is within the skew: fresh.
	time.Sleep(3 * time.Second)
	status, body := doRequest(t, copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a chunk fetch refused as signed in the future was replayed 3 s later and answered %d with %d bytes: the replayer read the requester's result", status, len(body))
	}
	assertNoByteLeaves(t, "replayed future request", body, s.chunks...)
}

// TestAttackReplaysChunkFetchSignedPastTheFutureHorizon: a request signed
// more than signedreq.FutureHorizon (10 min) ahead left no nonce in the
// store (its bucket would hold room until then), and nothing else: a
// requester whose clock ran 11 minutes fast had its fetch refused
// future_request, and once the provider's clock got there an
// eavesdropper's copy was fresh and read the requester's result (the data
// server had the same gap: dataserver
// TestAttackReplaysRequestSignedPastTheFutureHorizon). Expected: the copy
// is refused however far ahead it was signed; the requester's fetch signed
// anew with its clock right is served.
func TestAttackReplaysChunkFetchSignedPastTheFutureHorizon(t *testing.T) {
	s := newServed(t, 9, gemmChunks(), Config{}, Record{})
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	s.a.auth.now = func() time.Time { return time.Unix(clock.Load(), 0) }
	ahead := int64((signedreq.FutureHorizon + time.Minute) / time.Second)
	sign := func(at int64) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/jobs/9/chunks/1", nil)
		if err := signedreq.Sign(req, s.requester, s.url, time.Unix(at, 0)); err != nil {
			t.Fatal(err)
		}
		return req
	}
	req := sign(clock.Load() + ahead)
	copyOfReq := req.Clone(t.Context())
	if status, body := doRequest(t, req); status != http.StatusUnauthorized {
		t.Fatalf("the requester's fetch signed %d s ahead: %d %s, want 401 future_request", ahead, status, body)
	}
	clock.Add(ahead)
	status, body := doRequest(t, copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a chunk fetch refused as signed %d s ahead was replayed %d s later and answered %d with %d bytes: the replayer read the requester's result",
			ahead, ahead, status, len(body))
	}
	assertNoByteLeaves(t, "replayed request signed past the horizon", body, s.chunks...)
	if status, body := doRequest(t, sign(clock.Load()+1)); status != http.StatusOK {
		t.Fatalf("the requester's fetch signed anew, after the refused one: %d %s", status, body)
	}
}

// doRequest sends r and returns its status and body.
func doRequest(t *testing.T, r *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}
