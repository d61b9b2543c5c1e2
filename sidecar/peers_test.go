package sidecar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/signedhttp"
	"github.com/aichain/aichain/workload"
)

// peerFile is a weights file held by a sidecar's weights server: its bytes
// and sha256.
func peerFile(t *testing.T) ([]byte, string, func(string) (*os.File, error)) {
	return peerFileOf(t, 4096)
}

func peerFileOf(t *testing.T, n int) ([]byte, string, func(string) (*os.File, error)) {
	t.Helper()
	data := bytes.Repeat([]byte("weights!"), n)
	sha := workload.SHA256Hex(data)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, sha), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data, sha, func(s string) (*os.File, error) {
		if s != sha {
			return nil, os.ErrNotExist
		}
		return os.Open(filepath.Join(dir, sha))
	}
}

// weightsServer starts a sidecar's weights server whose bonded validators
// are the given signers.
func weightsServer(t *testing.T, open func(string) (*os.File, error), bonded ...signedreq.Signer) (*httptest.Server, *Metrics) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	url := "http://" + ts.Listener.Addr().String()
	m := NewMetrics("cpu")
	srv, err := NewWeightsServer(url, "aic", open, quiet(), m)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, s := range bonded {
		set[s.Address()] = true
	}
	srv.SetValidators(set)
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, m
}

func signedGet(t *testing.T, s signedreq.Signer, audienceURL, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	aud, err := signedreq.Audience(audienceURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := signedreq.Sign(req, s, aud, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func newSigner() signedreq.PrivKeySigner {
	return signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
}

// A bonded validator's sidecar reads the weights; a range continues them.
func TestSidecarServesCachedWeightsToAValidator(t *testing.T) {
	data, sha, open := peerFile(t)
	val := newSigner()
	ts, m := weightsServer(t, open, val)
	code, body := signedhttp.Do(t, signedGet(t, val, ts.URL, ts.URL+"/v1/models/"+sha))
	if code != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("got HTTP %d, %d bytes; want 200 and the %d-byte file", code, len(body), len(data))
	}
	req := signedGet(t, val, ts.URL, ts.URL+"/v1/models/"+sha)
	req.Header.Set("Range", "bytes=100-")
	if code, body := signedhttp.Do(t, req); code != http.StatusPartialContent || !bytes.Equal(body, data[100:]) {
		t.Fatalf("range: got HTTP %d, %d bytes", code, len(body))
	}
	if code, _ := signedhttp.Do(t, signedGet(t, val, ts.URL, ts.URL+"/v1/models/"+strings.Repeat("ab", 32))); code != http.StatusNotFound {
		t.Fatalf("weights it does not hold: HTTP %d, want 404", code)
	}
	if n := counted(m.PeerServed); n != 2 {
		t.Fatalf("served counter %v, want 2", n)
	}
}

// TestAttackNonValidatorReadsWeightsFromASidecar: anyone may reach a
// sidecar's weights URL (it is on chain); sending gigabytes to any account
// that asks would spend the validator's uplink on strangers. Only bonded
// validators' operators are served, and a request signed for another
// sidecar, or replayed, is refused.
func TestAttackNonValidatorReadsWeightsFromASidecar(t *testing.T) {
	_, sha, open := peerFile(t)
	val, stranger := newSigner(), newSigner()
	ts, m := weightsServer(t, open, val)
	url := ts.URL + "/v1/models/" + sha
	if code, body := signedhttp.Do(t, signedGet(t, stranger, ts.URL, url)); code != http.StatusForbidden || bytes.Contains(body, []byte("weights!")) {
		t.Fatalf("a non-validator's request: HTTP %d (%d bytes), want 403 and no weights", code, len(body))
	}
	unsigned, _ := http.NewRequest(http.MethodGet, url, nil)
	if code, _ := signedhttp.Do(t, unsigned); code != http.StatusUnauthorized {
		t.Fatalf("an unsigned request: HTTP %d, want 401", code)
	}
	if code, _ := signedhttp.Do(t, signedGet(t, val, "https://other-sidecar.example", url)); code == http.StatusOK {
		t.Fatal("a request signed for another sidecar was served")
	}
	req := signedGet(t, val, ts.URL, url)
	replay := req.Clone(context.Background())
	if code, _ := signedhttp.Do(t, req); code != http.StatusOK {
		t.Fatalf("the validator's request: HTTP %d", code)
	}
	if code, _ := signedhttp.Do(t, replay); code == http.StatusOK {
		t.Fatal("a replayed request was served")
	}
	if n := counted(m.PeerServed); n != 1 {
		t.Fatalf("served %v weights, want only the validator's 1", n)
	}
}

// TestAttackValidatorHoldsEverySlotOfASidecar: one validator may take one
// transfer at a time; the others are answered busy, and other validators
// are still served.
func TestAttackValidatorHoldsEverySlotOfASidecar(t *testing.T) {
	data, sha, open := peerFileOf(t, 4<<20) // 32 MiB: more than the connection buffers
	greedy, other := newSigner(), newSigner()
	ts, _ := weightsServer(t, open, greedy, other)
	url := ts.URL + "/v1/models/" + sha
	// A transfer the greedy validator holds open: it reads one byte only.
	res, err := http.DefaultClient.Do(signedGet(t, greedy, ts.URL, url))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := res.Body.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	code, _ := signedhttp.Do(t, signedGet(t, greedy, ts.URL, url))
	if code != http.StatusServiceUnavailable {
		t.Fatalf("the greedy validator's second transfer: HTTP %d, want 503", code)
	}
	if code, body := signedhttp.Do(t, signedGet(t, other, ts.URL, url)); code != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("another validator: HTTP %d, %d bytes", code, len(body))
	}
}

// peerVerifier is a verifier whose peers are the given URLs.
func peerVerifier(peers ...string) *Verifier {
	set := &PeerSet{}
	set.Set(peers)
	return New(Config{FetchRetries: 2, RetryBackoff: 10 * time.Millisecond, MaxRetryAfter: 100 * time.Millisecond,
		Signer: newSigner(), Peers: set, Fetch: jobexec.FetchPolicy{AllowLocal: true}}, &chainSource{}, nil, quiet(), NewMetrics("cpu"))
}

// mirrorFetch is one weights fetch of v from the provider at endpoint, as
// a check's resolver asks it (the file checked against sha, as askMirror
// asks of it).
func mirrorFetch(ctx context.Context, v *Verifier, endpoint, sha string) ([]byte, error) {
	f, err := v.weightsFrom(endpoint, v.newBusyBudget())(ctx, sha)
	if err == nil && !f.Is(sha) {
		err = fmt.Errorf("%w: checked against %q, not %q", workload.ErrDigestMismatch, f.SHA256(), sha)
	}
	return f.Bytes(), err
}

// untilFetched asks v's mirror until it returns the weights (a check at
// every poll), for at most limit.
func untilFetched(t *testing.T, v *Verifier, endpoint, sha string, limit time.Duration) ([]byte, error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		data, err := mirrorFetch(context.Background(), v, endpoint, sha)
		if err == nil || time.Now().After(deadline) {
			return data, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAttackPeerSendsOtherBytesIsPassedOver: a hostile validator's sidecar
// answers every weights request with other bytes. They are never the
// weights: the fetch goes on to a peer that has them; with only hostile
// peers, the fetch fails with the provider's own error, as without peers.
func TestAttackPeerSendsOtherBytesIsPassedOver(t *testing.T) {
	data, sha, open := peerFile(t)
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("junk"), len(data)/4))
	}))
	t.Cleanup(junk.Close)
	gone := httptest.NewServer(http.NotFoundHandler()) // the provider holds no weights either
	t.Cleanup(gone.Close)

	v := peerVerifier(junk.URL)
	if _, err := untilFetched(t, v, gone.URL, sha, 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), gone.URL) {
		t.Fatalf("with a junk peer only: err %v, want the provider's failure", err)
	}
	v = peerVerifier()
	good, _ := weightsServer(t, open, v.cfg.Signer)
	v.cfg.Peers.Set([]string{junk.URL, good.URL, junk.URL})
	got, err := untilFetched(t, v, gone.URL, sha, 5*time.Second)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("with a good peer among junk ones: %d bytes, err %v", len(got), err)
	}
	if n := counted(v.metrics.PeerWeights); n != 1 {
		t.Fatalf("weights received from peers %v, want 1", n)
	}
}

// TestAttackTricklingPeerDoesNotDelayTheProvider: a hostile peer claims the
// weights and trickles them, within the fetch policy's rates, for as long
// as they allow. It holds its walk, not the check: the provider's weights,
// once it has a free slot, are used at once, and the walk ends.
func TestAttackTricklingPeerDoesNotDelayTheProvider(t *testing.T) {
	data, sha, _ := peerFile(t)
	release := make(chan struct{})
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		for {
			if _, err := w.Write([]byte{0}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-release:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	t.Cleanup(func() { close(release); trickle.Close() })
	var answered atomic.Bool
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !answered.Swap(true) { // busy once
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(data)
	}))
	t.Cleanup(prov.Close)

	v := peerVerifier(trickle.URL)
	start := time.Now()
	got, err := mirrorFetch(context.Background(), v, prov.URL, sha)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%d bytes, err %v", len(got), err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the provider's weights took %s behind a trickling peer", took)
	}
	v.walkMu.Lock()
	left := len(v.walks)
	v.walkMu.Unlock()
	if left != 0 {
		t.Fatalf("%d peer walks still running after the provider sent the weights", left)
	}
}

// RefreshPeers keeps the bonded validators' endpoints but its own, and
// keeps the last sets when the chain cannot be read.
func TestRefreshPeers(t *testing.T) {
	srv, err := NewWeightsServer("http://127.0.0.1:1", "aic", nil, quiet(), NewMetrics("cpu"))
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	src := func(context.Context) (map[string]bool, map[string]string, error) {
		calls++
		if calls > 1 {
			return nil, nil, errors.New("node down")
		}
		return map[string]bool{"aic1a": true, "aic1b": true, "aic1self": true},
			map[string]string{"aic1a": "https://a.example/", "aic1b": "https://b.example", "aic1gone": "https://gone.example",
				"aic1self": "https://self.example"}, nil
	}
	peers := &PeerSet{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { RefreshPeers(ctx, src, "aic1self", srv, peers, 5*time.Millisecond, quiet()); close(done) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	got := peers.Endpoints()
	if len(got) != 2 || !(got[0] == "https://a.example" && got[1] == "https://b.example" || got[1] == "https://a.example" && got[0] == "https://b.example") {
		t.Fatalf("peers %v, want a and b only (not self, not unbonded)", got)
	}
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	if !srv.validators["aic1a"] || !srv.validators["aic1self"] || srv.validators["aic1gone"] || calls < 2 {
		t.Fatalf("served validators %v after %d reads", srv.validators, calls)
	}
}

// TestAttackFourValidatorsHoldEverySlotOfASidecar: a sidecar sends 4
// transfers at once, 1 per validator. A party with four validators (any
// power under 1/3) opens one transfer from every honest sidecar per
// validator and reads a byte of it per peerStall: each was sent for up to
// the file's whole send time (6.3 minutes for 1 GiB), so every honest
// sidecar answered every honest validator busy, and the walks had no
// sender but the provider, as before peers. Now a reader that falls behind
// peerPace is dropped: the honest validator is served once the hostile
// readers fall behind (here a pace's grace of 200 ms).
func TestAttackFourValidatorsHoldEverySlotOfASidecar(t *testing.T) {
	old, oldHold := peerPace, peerHold
	peerPace = dataserver.Pace{Grace: 200 * time.Millisecond, Rate: 16 << 20}
	peerHold = 0 // answered at once: the set-up's check
	t.Cleanup(func() { peerPace, peerHold = old, oldHold })
	data, sha, open := peerFileOf(t, 4<<20) // 32 MiB: more than the connection buffers
	honest := newSigner()
	bonded := []signedreq.Signer{honest}
	var hostile []signedreq.Signer
	for range 4 {
		hostile = append(hostile, newSigner())
	}
	ts, _ := weightsServer(t, open, append(bonded, hostile...)...)
	url := ts.URL + "/v1/models/" + sha
	for _, h := range hostile {
		res, err := http.DefaultClient.Do(signedGet(t, h, ts.URL, url))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if _, err := res.Body.Read(make([]byte, 1)); err != nil { // and a byte every 29 s
			t.Fatal(err)
		}
	}
	if code, _ := signedhttp.Do(t, signedGet(t, honest, ts.URL, url)); code != http.StatusServiceUnavailable {
		t.Fatalf("with every slot held: HTTP %d, want 503 (the set-up holds no slot)", code)
	}
	deadline := time.Now().Add(5 * time.Second) // far past the hostile readers' pace
	for {
		code, body := signedhttp.Do(t, signedGet(t, honest, ts.URL, url))
		if code == http.StatusOK && bytes.Equal(body, data) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("an honest validator, with four hostile ones each holding a transfer a byte at a time: HTTP %d, %d bytes", code, len(body))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
