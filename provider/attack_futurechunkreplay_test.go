package provider

import (
	"io"
	"net/http"
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
	do := func(r *http.Request) (int, []byte) {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	if status, body := do(req); status != http.StatusUnauthorized {
		t.Fatalf("the requester's fetch signed 7 s ahead: %d %s, want 401 future_request", status, body)
	}
	// 3 s later the copy is within the skew: fresh.
	time.Sleep(3 * time.Second)
	status, body := do(copyOfReq)
	if status == http.StatusOK {
		t.Errorf("a chunk fetch refused as signed in the future was replayed 3 s later and answered %d with %d bytes: the replayer read the requester's result", status, len(body))
	}
	assertNoByteLeaves(t, "replayed future request", body, s.chunks...)
}
