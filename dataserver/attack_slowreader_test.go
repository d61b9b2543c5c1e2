package dataserver

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
)

// openFilesOf counts this process's file descriptors open on path.
func openFilesOf(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range ents {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == path {
			n++
		}
	}
	return n
}

// bigDataset serves an 8 MiB dataset 2 of fx's owner, licensed to
// fx.licensee, and returns its file's path (symlinks resolved, as
// /proc/self/fd names it).
func bigDataset(t *testing.T, fx *fixture) (string, []byte) {
	t.Helper()
	const rows, cols = 1 << 17, 16 // 8 MiB of rows
	m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(i % 1013)
	}
	data, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(fx.dir, "big.npy")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Describe(data, 1024)
	if err != nil {
		t.Fatal(err)
	}
	fx.chain.list(2, 1, fx.owner.addr(), f)
	fx.chain.grant(2, fx.licensee.addr(), 1, true)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	if path, err = filepath.EvalSymlinks(path); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// slowReader is a client with a small receive buffer whose bodies the test
// never reads; stop closes them.
type slowReader struct {
	t      *testing.T
	client *http.Client
	ctx    context.Context
	bodies []func()
}

func newSlowReader(t *testing.T) (*slowReader, func()) {
	tr := &http.Transport{DialContext: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}).DialContext}
	ctx, cancel := context.WithCancel(t.Context())
	sr := &slowReader{t: t, client: &http.Client{Transport: tr}, ctx: ctx}
	return sr, func() {
		cancel()
		for _, c := range sr.bodies {
			c()
		}
		tr.CloseIdleConnections()
	}
}

// start sends a signed download of dataset 2 and returns its status; a
// 503 must carry a Retry-After.
func (sr *slowReader) start(fx *fixture, i int) int {
	t := sr.t
	t.Helper()
	req, _ := http.NewRequestWithContext(sr.ctx, http.MethodGet, fx.url+"/v1/datasets/2", nil)
	if err := signedreq.Sign(req, fx.licensee, fx.url, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := sr.client.Do(req)
	if err != nil {
		t.Fatalf("download %d: %v", i, err)
	}
	sr.bodies = append(sr.bodies, func() { _ = resp.Body.Close() })
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusServiceUnavailable:
		if ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()) <= 0 {
			t.Fatalf("download %d: 503 without a Retry-After", i)
		}
	default:
		t.Fatalf("download %d: status %d", i, resp.StatusCode)
	}
	return resp.StatusCode
}

// TestAttackOneLicenseeHoldsUnboundedDownloads: the server had no bound on
// the downloads in flight, per account or in all. One licensee (the
// cheapest rental of any dataset the server serves) opens many downloads of
// a file and reads none of them: each holds a handler goroutine, a
// connection and an open file for up to --write-timeout (30 min), and the
// nonce store lets one account start 20,000 a minute. The file descriptors
// and memory of the server run out for every other buyer, provider and
// validator probe. (The provider agent's model server bounds the same thing:
// at most 8 at once, 2 to one account, 503 beyond.) Now a download past the
// account's bound (DownloadsPerAccount) or the server's (MaxDownloads) is
// answered 503 busy with a Retry-After, which the clients honour.
func TestAttackOneLicenseeHoldsUnboundedDownloads(t *testing.T) {
	fx := newFixture(t, true)
	path, _ := bigDataset(t, fx)
	sr, stop := newSlowReader(t)
	defer stop()

	const n = 48
	served := 0
	for i := range n {
		if sr.start(fx, i) == http.StatusOK {
			served++
		}
	}
	// Let the handlers fill the sockets and block.
	held := 0
	for range 20 {
		time.Sleep(100 * time.Millisecond)
		held = max(held, openFilesOf(t, path))
	}
	t.Logf("one licensee's %d stalled downloads hold %d open files on the server (%d served, the rest busy)", n, held, served)
	const bound = 16
	if served == 0 {
		t.Fatal("no download was served")
	}
	if held > bound || served > bound {
		t.Errorf("one licensee holds %d downloads (%d served; open files, goroutines, connections) at once, reading none: no bound per account (want at most %d)", held, served, bound)
	}
}

// TestAttackStalledDownloadIsDropped: a download whose reader takes nothing
// for StallTimeout is dropped, its slot and file freed, however long the
// server's write timeout; the account then downloads again, in full.
func TestAttackStalledDownloadIsDropped(t *testing.T) {
	fx := newFixture(t, true)
	path, data := bigDataset(t, fx)
	fx.srv.cfg.StallTimeout = 500 * time.Millisecond
	sr, stop := newSlowReader(t)
	defer stop()
	per := fx.srv.cfg.DownloadsPerAccount
	for i := range per {
		if status := sr.start(fx, i); status != http.StatusOK {
			t.Fatalf("download %d of %d: %d", i, per, status)
		}
	}
	if status := sr.start(fx, per); status != http.StatusServiceUnavailable {
		t.Fatalf("a download past the account's %d: %d, want 503", per, status)
	}
	deadline := time.Now().Add(30 * time.Second) // a failure deadline, far past StallTimeout
	for fx.srv.dl.InFlight() != 0 || openFilesOf(t, path) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("stalled downloads still held: %d in flight, %d open files", fx.srv.dl.InFlight(), openFilesOf(t, path))
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, err := fx.licensee.client(fx.url).Download(t.Context(), 2, 1, Expect{Sha256: fx.chain.versions[[2]uint64{2, 1}].Sha256})
	if err != nil || len(got) != len(data) {
		t.Fatalf("a download once the stalled ones were dropped: %d bytes, %v", len(got), err)
	}
}
