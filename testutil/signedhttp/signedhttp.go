// Package signedhttp sends the agents' signed requests in tests: one GET,
// signed or not, and its whole answer.
package signedhttp

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// Do sends req and returns the status and the whole body.
func Do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// Get GETs url, signed by who for audience (unsigned when who is nil), and
// returns the status and the whole body.
func Get(t testing.TB, who signedreq.Signer, audience, url string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if who != nil {
		if err := signedreq.Sign(req, who, audience, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return Do(t, req)
}
