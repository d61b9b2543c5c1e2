package provider

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/testutil/signedhttp"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

func signer() signedreq.PrivKeySigner {
	return signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
}

// served is a chunk server holding one executed job of a requester, with
// one bonded validator, on a real listener.
type served struct {
	a          *Agent
	url        string
	requester  signedreq.PrivKeySigner
	validator  signedreq.PrivKeySigner
	stranger   signedreq.PrivKeySigner
	chunks     [][]byte
	root       []byte
	metricsSrv *httptest.Server
}

func newServed(t *testing.T, id uint64, chunks [][]byte, cfg Config, rec Record) *served {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	cfg.Endpoint = "http://" + hs.Listener.Addr().String()
	dir := t.TempDir()
	a := &Agent{cfg: cfg, chunks: NewChunkStore(dir, 1<<20), metrics: NewMetrics(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a.auth = newAuthorizer(a, "aic")
	tree, err := a.chunks.Put(id, chunks)
	if err != nil {
		t.Fatal(err)
	}
	s := &served{a: a, url: cfg.Endpoint, requester: signer(), validator: signer(), stranger: signer(), chunks: chunks}
	root := tree.Root()
	s.root = root[:]
	rec.ID, rec.Requester, rec.Phase, rec.OutputRoot = id, s.requester.Address(), PhaseExecuted, s.root
	rec.ChunkCount, rec.ChunkBytes = uint64(len(chunks)), uint64(len(chunks[0]))
	a.auth.addJob(&rec)
	a.auth.setValidators(map[string]bool{s.validator.Address(): true})
	hs.Config.Handler = a.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return s
}

func (s *served) get(t *testing.T, who signedreq.Signer, audience, path string) (int, []byte) {
	t.Helper()
	return signedhttp.Get(t, who, audience, s.url+path)
}

// assertNoByteLeaves fails if body holds any chunk, raw or base64.
func assertNoByteLeaves(t *testing.T, what string, body []byte, secrets ...[]byte) {
	t.Helper()
	for _, c := range secrets {
		if bytes.Contains(body, c) || bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(c))) {
			t.Fatalf("%s: protected bytes left the server", what)
		}
	}
}

func gemmChunks() [][]byte {
	return [][]byte{bytes.Repeat([]byte("zero"), 4), bytes.Repeat([]byte("one."), 4), bytes.Repeat([]byte("two!"), 2)}
}

func TestChunksGoToTheRequesterAndValidators(t *testing.T) {
	s := newServed(t, 9, gemmChunks(), Config{}, Record{})
	for _, who := range []signedreq.PrivKeySigner{s.requester, s.validator} {
		status, body := s.get(t, who, s.url, "/v1/jobs/9/chunks/2")
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		var cr jobexec.ChunkResponse
		if err := json.Unmarshal(body, &cr); err != nil {
			t.Fatal(err)
		}
		if err := cr.Verify(s.root, 3, 2); err != nil || !bytes.Equal(cr.Data, s.chunks[2]) {
			t.Fatalf("served chunk: %v", err)
		}
	}
	if status, _ := s.get(t, s.requester, s.url, "/v1/jobs/9/chunks/3"); status != http.StatusNotFound {
		t.Fatalf("chunk past the end: %d", status)
	}
}

// Anyone else — unsigned, another account, a request signed for another
// server, a replay — gets no byte of the job's output, and nothing is read
// from disk for them.
func TestAttackUnauthorisedFetchOfChunks(t *testing.T) {
	s := newServed(t, 9, gemmChunks(), Config{}, Record{})
	if err := s.a.chunks.Remove(9); err != nil { // a disk read would now fail with 500
		t.Fatal(err)
	}
	cases := map[string]struct {
		who      signedreq.Signer
		audience string
		want     int
	}{
		"unsigned":                  {nil, "", http.StatusUnauthorized},
		"another account":           {s.stranger, s.url, http.StatusForbidden},
		"signed for another server": {s.requester, "http://127.0.0.1:1", http.StatusUnauthorized},
	}
	for name, c := range cases {
		status, body := s.get(t, c.who, c.audience, "/v1/jobs/9/chunks/1")
		if status != c.want {
			t.Fatalf("%s: status %d, want %d: %s", name, status, c.want, body)
		}
		assertNoByteLeaves(t, name, body, s.chunks...)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/jobs/9/chunks/1", nil)
	if err := signedreq.Sign(req, s.stranger, s.url, time.Now()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assertNoByteLeaves(t, "replay", body, s.chunks...)
	}
	if n := s.a.auth.nonces.Len(); n != 0 {
		t.Fatalf("%d nonces recorded for refused requests", n)
	}
}

// A model's weights go to bonded validators whose fetch from the model's
// uri failed (the sidecar's mirror), read from the agent's cache by their
// sha256; the requester and anyone else get none, and a name that is not
// a sha256 never reaches the disk.
func TestWeightsGoToValidatorsOnly(t *testing.T) {
	file := []byte("weights of a model the agent ran")
	sha := workload.SHA256Hex(file)
	path := filepath.Join(t.TempDir(), sha)
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	var reads []string
	cfg := Config{Weights: func(s string) (*os.File, error) {
		reads = append(reads, s)
		if s != sha {
			return nil, os.ErrNotExist
		}
		return os.Open(path)
	}}
	s := newServed(t, 9, gemmChunks(), cfg, Record{ModelSha: sha, PendingTx: "RESULT"}) // its result sent
	if status, body := s.get(t, s.validator, s.url, "/v1/models/"+sha); status != http.StatusOK || !bytes.Equal(body, file) {
		t.Fatalf("validator: status %d, %d bytes", status, len(body))
	}
	for name, c := range map[string]struct {
		who  signedreq.Signer
		path string
		want int
	}{
		"the requester":   {s.requester, "/v1/models/" + sha, http.StatusForbidden},
		"another account": {s.stranger, "/v1/models/" + sha, http.StatusForbidden},
		"unsigned":        {nil, "/v1/models/" + sha, http.StatusUnauthorized},
		"not a sha256":    {s.validator, "/v1/models/..%2F..%2Fstate.db", http.StatusBadRequest},
		"unknown weights": {s.validator, "/v1/models/" + strings.Repeat("ab", 32), http.StatusNotFound},
	} {
		status, body := s.get(t, c.who, s.url, c.path)
		if status != c.want {
			t.Fatalf("%s: status %d, want %d: %s", name, status, c.want, body)
		}
		if bytes.Contains(body, file) {
			t.Fatalf("%s: the weights left the server", name)
		}
	}
	if len(reads) != 1 || reads[0] != sha {
		t.Fatalf("cache reads %q: only the validator's request for its job's model should reach it", reads)
	}
}
