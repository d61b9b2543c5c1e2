package dataserver

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aichain/aichain/testutil/signedhttp"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// get sends req and returns the status and the whole body.
func get(t *testing.T, req *http.Request) (int, []byte) { return signedhttp.Do(t, req) }

// assertNoByteLeaves fails if body holds any row of the protected file, raw
// or base64 (a chunk's encoding).
func (fx *fixture) assertNoByteLeaves(t *testing.T, what string, body []byte) {
	t.Helper()
	rows := fx.file.Data[len(fx.file.Data)-int(fx.file.Rows*fx.file.Cols*4):]
	for i := 0; i+12 <= len(rows); i += 12 {
		row := rows[i : i+12]
		if bytes.Contains(body, row) || bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(row)[:12])) {
			t.Fatalf("%s: a row of the protected file left the server", what)
		}
	}
	for _, c := range fx.file.Chunks {
		if bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(c))) {
			t.Fatalf("%s: a chunk of the protected file left the server", what)
		}
	}
}

func (fx *fixture) signed(t *testing.T, s signedreq.Signer, audience, path string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fx.url+path, nil)
	if err := signedreq.Sign(req, s, audience, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// Licence bypass by a copied listing: the attacker lists "dataset 2" with
// dataset 1's sha256, shape and root, is its owner (HasAccess is true), and
// asks the owner's server for it. The server serves only its owner's
// datasets: dataset 2 is not one, so nothing is served.
func TestAttackCopiedListingDownloadsNothing(t *testing.T) {
	fx := newFixture(t, true)
	attacker := newAccount()
	fx.chain.list(2, 1, attacker.addr(), fx.file)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/datasets/2", "/v1/datasets/2?version=1", "/v1/datasets/2/chunks/0", "/v1/datasets/1", "/v1/datasets/1/chunks/1"} {
		status, body := get(t, fx.signed(t, attacker, fx.url, path))
		if status != http.StatusNotFound && status != http.StatusForbidden {
			t.Fatalf("%s: status %d", path, status)
		}
		fx.assertNoByteLeaves(t, path, body)
	}
}

// A flood of unsigned, badly signed or misdirected requests makes the
// server do no chain and no disk work, and fills no replay store.
func TestAttackUnauthenticatedFloodDoesNoWork(t *testing.T) {
	fx := newFixture(t, true)
	before := fx.chain.callCount()
	other := newAccount()
	reqs := map[string]func() *http.Request{
		"unsigned": func() *http.Request { r, _ := http.NewRequest("GET", fx.url+"/v1/datasets/1", nil); return r },
		"signed for another server": func() *http.Request {
			return fx.signed(t, fx.licensee, "http://127.0.0.1:1", "/v1/datasets/1")
		},
		"someone else's key": func() *http.Request {
			r := fx.signed(t, other, fx.url, "/v1/datasets/1/chunks/0")
			r.Header.Set(signedreq.HeaderAddress, fx.licensee.addr())
			return r
		},
		"stale": func() *http.Request {
			r, _ := http.NewRequest("GET", fx.url+"/v1/datasets/1", nil)
			if err := signedreq.Sign(r, fx.licensee, fx.url, time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			return r
		},
	}
	for name, mk := range reqs {
		for i := 0; i < 25; i++ {
			status, body := get(t, mk())
			if status != http.StatusUnauthorized {
				t.Fatalf("%s: status %d", name, status)
			}
			fx.assertNoByteLeaves(t, name, body)
		}
	}
	if got := fx.chain.callCount(); got != before {
		t.Fatalf("unauthenticated requests made %d chain queries", got-before)
	}
	if fx.srv.nonces.Len() != 0 || fx.srv.trees.len() != 0 {
		t.Fatalf("unauthenticated requests left %d nonces and %d trees", fx.srv.nonces.Len(), fx.srv.trees.len())
	}
}

// Signed accounts without access never fill the replay store, and a repeated
// refusal is answered from the access cache.
func TestAttackNoAccessFillsNoNonces(t *testing.T) {
	fx := newFixture(t, true)
	for i := 0; i < 50; i++ {
		status, body := get(t, fx.signed(t, fx.stranger, fx.url, "/v1/datasets/1"))
		if status != http.StatusForbidden {
			t.Fatalf("status %d", status)
		}
		fx.assertNoByteLeaves(t, "no access", body)
	}
	if n := fx.srv.nonces.Len(); n != 0 {
		t.Fatalf("%d nonces recorded for refused requests", n)
	}
}

// A request signed for one dataset server is refused by another (the
// audience is in what is signed), even for an account with access to both.
func TestAttackReplayAcrossServers(t *testing.T) {
	a, b := newFixture(t, true), newFixture(t, true)
	b.chain.grant(1, a.licensee.addr(), 1, true)
	req := a.signed(t, a.licensee, a.url, "/v1/datasets/1")
	req.URL.Host = b.url[len("http://"):]
	status, body := get(t, req)
	if status != http.StatusUnauthorized || !bytes.Contains(body, []byte("wrong_audience")) {
		t.Fatalf("replayed at another server: %d %s", status, body)
	}
	b.assertNoByteLeaves(t, "replay", body)
}

// A stranger (any key, no licence, nothing paid) asks for versions that do
// not exist, replaying one signed request and signing fresh ones, to make
// the server query the chain at the attacker's rate. A version newer than
// the served list re-reads the list at most every 2 s (as an unknown id
// does); no request queries the version itself, none is served, and none
// fills the replay store.
func TestAttackAsksForVersionsThatDoNotExist(t *testing.T) {
	fx := newFixture(t, true)
	before := fx.chain.callCount()
	replayed := fx.signed(t, fx.stranger, fx.url, "/v1/datasets/1/chunks/0?version=7")
	for i := 0; i < 40; i++ {
		req := replayed.Clone(t.Context())
		if i%2 == 1 {
			req = fx.signed(t, newAccount(), fx.url, "/v1/datasets/1?version="+strconv.Itoa(1000+i))
		}
		status, body := get(t, req)
		if status != http.StatusNotFound {
			t.Fatalf("request %d for a version that does not exist: status %d %s", i, status, body)
		}
		fx.assertNoByteLeaves(t, "unknown version", body)
	}
	if got := fx.chain.callCount() - before; got > 3 {
		t.Fatalf("40 requests for versions that do not exist made %d chain queries (at most 3: the served list, every 2 s)", got)
	}
	if n := fx.srv.nonces.Len(); n != 0 {
		t.Fatalf("%d nonces recorded for refused requests", n)
	}
	d, _ := fx.srv.catalog.get(1)
	if _, e := fx.srv.checkVersion(t.Context(), d, 7); e == nil || !errors.Is(e, ErrNoSuchVersion) {
		t.Fatalf("a version that does not exist: %v, want ErrNoSuchVersion", e)
	}
}
