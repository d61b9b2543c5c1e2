package dataserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestAttackReplayAfterRestart: the replay store (NonceStore) and the
// memory of refusals live in memory only, and a restarted server accepts
// any request signed within the last Window (60 s) before it started: a
// served request's nonce is forgotten, so its copy is served again. Whoever
// holds copies of a licensee's downloads (a TLS-terminating proxy's log, a
// plain-HTTP hop behind --allow-plain-http) replays them right after the
// server restarts (an upgrade, a crash, a host reboot: the operator's
// routine, no licence needed) and reads the rows the licensee paid for,
// the one thing nonces exist to prevent. Now a server refuses every request
// signed no later than the second it started in (start.go), and Load
// returns only once that second is past.
func TestAttackReplayAfterRestart(t *testing.T) {
	fx := newFixture(t, true)
	// The licensee downloads; the eavesdropper keeps a copy of its request.
	req := fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1")
	copyOfReq := req.Clone(t.Context())
	if status, body := get(t, req); status != http.StatusOK {
		t.Fatalf("licensee's download: %d %s", status, body)
	}
	// Replayed at once, it is refused (the nonce is remembered).
	if status, _ := get(t, copyOfReq.Clone(t.Context())); status != http.StatusUnauthorized {
		t.Fatalf("replay before the restart: %d, want 401", status)
	}

	// The server restarts with the same configuration, a second later.
	time.Sleep(1100 * time.Millisecond)
	restarted, err := New(fx.srv.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	restarted.Handler().ServeHTTP(rec, copyOfReq)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code == http.StatusOK {
		t.Errorf("a copy of a request served before the restart, replayed after it, was answered %d with %d bytes: the replayer read the licensee's rows",
			rec.Code, len(body))
	}
	fx.assertNoByteLeaves(t, "replay after a restart", body)
}

// TestClientSignsAnewAfterRestart: a request signed in the second the
// server started in is refused 401 signed_before_start (it may be a copy of
// one the previous process served); Client signs it anew a second later and
// is served.
func TestClientSignsAnewAfterRestart(t *testing.T) {
	fx := newFixture(t, true)
	fx.srv.notBefore = time.Now().Unix() + 1 // as if it had started this second
	status, body := get(t, fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1"))
	var er ErrorResponse
	if status != http.StatusUnauthorized || json.Unmarshal(body, &er) != nil || er.Error != codeSignedBeforeStart {
		t.Fatalf("a request signed in the start's second: %d %s, want 401 %s", status, body, codeSignedBeforeStart)
	}
	got, err := fx.licensee.client(fx.url).Download(t.Context(), 1, 1, fx.expect())
	if err != nil || len(got) == 0 {
		t.Fatalf("Client's download right after a start: %d bytes, %v", len(got), err)
	}
}
