package dataserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aichain/aichain/testutil/procio"
	"github.com/aichain/aichain/workload"
)

// answer is a response's status and Retry-After header.
type answer struct {
	status     int
	retryAfter string
	err        error
}

// send sends req from any goroutine (no t.Fatal) and reads the whole body.
func send(req *http.Request) answer {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), err: err}
}

// TestAttackConcurrentTreeMissesReadTheFileOnce: a licensee's concurrent
// chunk requests for a version whose tree was not in memory (first use,
// after a restart or an eviction) each built the tree by reading the whole
// file, without looking at the cache again once they had a build slot: 16
// requests read a 4 MiB file 16 times, and held the two build slots that
// every other dataset's first request waits for. Concurrent misses of one
// tree now share one build, which reads the file once.
func TestAttackConcurrentTreeMissesReadTheFileOnce(t *testing.T) {
	fx := newFixture(t, true)
	const rows, cols, perChunk = 65536, 16, 1024 // 4 MiB of rows, 64 chunks
	m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(i % 977)
	}
	data, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fx.dir, "big.npy"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Describe(data, perChunk)
	if err != nil {
		t.Fatal(err)
	}
	fx.chain.list(2, 1, fx.owner.addr(), f)
	fx.chain.grant(2, fx.licensee.addr(), 1, true)
	if err := fx.srv.Load(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Hold the two build slots, so that every request misses the cache
	// before the first build ends (what a large file does by itself).
	fx.srv.building <- struct{}{}
	fx.srv.building <- struct{}{}
	const n = 16
	before := procio.ReadBytes(t)
	var wg sync.WaitGroup
	answers := make([]answer, n)
	for i := range n {
		req := fx.signed(t, fx.licensee, fx.url, "/v1/datasets/2/chunks/"+strconv.Itoa(i))
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = send(req) }()
	}
	time.Sleep(time.Second)
	<-fx.srv.building
	<-fx.srv.building
	wg.Wait()
	read := procio.ReadBytes(t) - before
	for i, a := range answers {
		if a.err != nil || a.status != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, a.status, a.err)
		}
	}
	t.Logf("%d concurrent chunk requests read %d KiB (file %d KiB)", n, read>>10, len(data)>>10)
	if read > 3*int64(len(data)) {
		t.Errorf("%d concurrent chunk requests read the %d-byte file %.1f times: each built the tree", n, len(data), float64(read)/float64(len(data)))
	}
}

// levelHandler keeps the level and the uri of every record logged.
type levelHandler struct {
	mu   *sync.Mutex
	recs *[]loggedRecord
}

type loggedRecord struct {
	level slog.Level
	uri   string
}

func (h levelHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h levelHandler) Handle(_ context.Context, r slog.Record) error {
	rec := loggedRecord{level: r.Level}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "uri" {
			rec.uri = a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, rec)
	return nil
}
func (h levelHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h levelHandler) WithGroup(string) slog.Handler      { return h }

// TestAttackRefusedRequestsWriteNoLog: every refusal was logged at info
// level with the request's whole URI (up to the 16 KiB header limit): a
// flood of unsigned requests, or of requests signed by fresh keys (which
// cost nothing), was a flood of disk writes (journald, a log file) at the
// attacker's rate, and journald's rate limit then dropped the server's own
// lines. Such refusals are now logged at debug level, their URI cut to 256
// bytes; a refusal of an account that had access stays at info, cut too.
func TestAttackRefusedRequestsWriteNoLog(t *testing.T) {
	fx := newFixture(t, true)
	var mu sync.Mutex
	var recs []loggedRecord
	fx.srv.cfg.Logger = slog.New(levelHandler{&mu, &recs})
	pad := "?pad=" + strings.Repeat("x", 8000)
	floods := map[string]struct {
		req    func() *http.Request
		status int
	}{
		"unsigned": {func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, fx.url+"/v1/datasets/1"+pad, nil)
			return r
		}, http.StatusUnauthorized},
		"fresh key, no access":  {func() *http.Request { return fx.signed(t, newAccount(), fx.url, "/v1/datasets/1"+pad) }, http.StatusForbidden},
		"fresh key, unknown id": {func() *http.Request { return fx.signed(t, newAccount(), fx.url, "/v1/datasets/99"+pad) }, http.StatusNotFound},
	}
	for name, f := range floods {
		for range 20 {
			if status, _ := get(t, f.req()); status != f.status {
				t.Fatalf("%s: status %d, want %d", name, status, f.status)
			}
		}
	}
	// A licensee's refusal (a chunk that does not exist) is still at info.
	if status, _ := get(t, fx.signed(t, fx.licensee, fx.url, "/v1/datasets/1/chunks/999"+pad)); status != http.StatusNotFound {
		t.Fatalf("licensee's chunk 999: status %d", status)
	}
	mu.Lock()
	defer mu.Unlock()
	info, long := 0, 0
	for _, r := range recs {
		if len(r.uri) > maxLoggedURI+len("…") {
			long++
		}
		if r.level >= slog.LevelInfo {
			info++
		}
	}
	if long > 0 {
		t.Errorf("%d of %d records hold a URI over %d bytes", long, len(recs), maxLoggedURI)
	}
	if info != 1 {
		t.Errorf("60 refused requests of strangers and 1 of a licensee wrote %d records at info or above, want 1 (the licensee's)", info)
	}
}

// TestAttackLoadStopsWhenCancelled: SIGTERM while the server indexed its
// folder at start (aichain-dataserver run → load → Server.Load) cancelled
// Load's context, but indexing hashed every file whatever the context said:
// a folder of many large files kept the process running for as long as
// hashing them took, not the 5 s the README promises. Load now returns the
// context's error at once, and a file being hashed stops at its next read.
func TestAttackLoadStopsWhenCancelled(t *testing.T) {
	fx := newFixture(t, true)
	const files, size = 4, 16 << 20
	blob := make([]byte, size)
	for i := range files {
		blob[0] = byte(i)
		if err := os.WriteFile(filepath.Join(fx.dir, "f"+strconv.Itoa(i)+".npy"), blob, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // SIGTERM arrived
	before, start := procio.ReadBytes(t), time.Now()
	err := fx.srv.Load(ctx)
	took, read := time.Since(start), procio.ReadBytes(t)-before
	t.Logf("Load with a cancelled context: %v after %v, %d KiB read", err, took, read>>10)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context returned %v, want context.Canceled", err)
	}
	if read > 1<<20 || took > time.Second {
		t.Errorf("Load with a cancelled context read %d KiB in %v", read>>10, took)
	}
	before = procio.ReadBytes(t)
	if _, err := hashFile(ctx, filepath.Join(fx.dir, "f0.npy")); !errors.Is(err, context.Canceled) {
		t.Errorf("hashing with a cancelled context: %v, want context.Canceled", err)
	}
	if read := procio.ReadBytes(t) - before; read > 1<<20 {
		t.Errorf("hashing with a cancelled context read %d KiB", read>>10)
	}
}
