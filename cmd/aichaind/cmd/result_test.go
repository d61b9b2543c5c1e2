package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	"github.com/aichain/aichain/x/compute/types"
)

// The header the result command writes is the one numpy (and workload's
// parser) reads: same bytes as a whole file's encoding.
func TestResultNPYHeader(t *testing.T) {
	for _, shape := range [][2]int{{1, 1}, {64, 16}, {1000003, 7}} {
		m := &workload.Matrix{Rows: shape[0], Cols: shape[1], Data: make([]float32, shape[0]*shape[1])}
		full, err := workload.EncodeNPY(m)
		if err != nil {
			t.Fatal(err)
		}
		hdr := npyHeader(uint64(shape[0]), uint64(shape[1]))
		if string(full[:len(hdr)]) != string(hdr) || len(full)-len(hdr) != 4*shape[0]*shape[1] {
			t.Fatalf("%v: header %q, want the prefix of %q", shape, hdr, full[:len(hdr)])
		}
	}
}

// chunkServer answers the chunk requests of a one-chunk job with answers
// in order (each a status and a Retry-After, "" for none; a status of 0
// sends the chunk), then the chunk, recording when each request came.
type chunkServer struct {
	d     *resultDownload
	chunk []byte
	mu    sync.Mutex
	at    []time.Time
}

type answer struct {
	status     int
	retryAfter string
}

func newChunkServer(t *testing.T, answers []answer) *chunkServer {
	t.Helper()
	cs := &chunkServer{chunk: bytes.Repeat([]byte{1, 2, 3, 4}, 64)}
	tree, err := merkle.New([][]byte{cs.chunk})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := jobexec.NewChunkResponse(7, tree, 0, cs.chunk)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		n := len(cs.at)
		cs.at = append(cs.at, time.Now())
		cs.mu.Unlock()
		if n >= len(answers) || answers[n].status == 0 {
			_, _ = w.Write(body)
			return
		}
		if ra := answers[n].retryAfter; ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		http.Error(w, `{"error":"busy"}`, answers[n].status)
	}))
	t.Cleanup(srv.Close)
	root := tree.Root()
	job := types.Job{Id: 7, Rows: 1, Result: types.JobResult{OutputRoot: root[:], ChunkCount: 1}}
	signer := signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	cs.d = &resultDownload{job: job, endpoint: srv.URL, audience: srv.URL, maxChunk: 1 << 20, signer: signer,
		progress: io.Discard, http: &http.Client{Timeout: 10 * time.Second}}
	return cs
}

func (cs *chunkServer) times() []time.Time {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]time.Time(nil), cs.at...)
}

func scaleChunkRetry(t *testing.T, p chunkRetryPolicy) {
	t.Helper()
	old := chunkRetry
	chunkRetry = p
	t.Cleanup(func() { chunkRetry = old })
}

// A provider whose slots are busy answers 503 (or 429) with Retry-After:
// the download waits what it says (at least the pause, at most
// maxBusyWait) and spends none of its attempts on it, which go to the
// failures (a 500 here). Three attempts 1 s apart, busy answers among
// them, gave up on a provider whose slots slow requesters held
// (TestAttackSlowRequestersHoldEveryResultDownloadSlot, provider).
func TestResultWaitsOutBusyAnswersWithoutSpendingAttempts(t *testing.T) {
	const pause, maxBusyWait = 50 * time.Millisecond, 1500 * time.Millisecond
	scaleChunkRetry(t, chunkRetryPolicy{attempts: 3, pause: pause, maxBusyWait: maxBusyWait, patience: time.Minute})
	answers := []answer{
		{http.StatusInternalServerError, ""},
		{http.StatusServiceUnavailable, "1"},
		{http.StatusTooManyRequests, "3600"},
		{http.StatusInternalServerError, ""},
		{http.StatusServiceUnavailable, ""},
	}
	cs := newChunkServer(t, answers)
	data, err := cs.d.fetchChunk(context.Background(), 0)
	if err != nil || !bytes.Equal(data, cs.chunk) {
		t.Fatalf("after %d busy answers and 2 failures: %d bytes, %v; want the chunk", 3, len(data), err)
	}
	at := cs.times()
	if len(at) != len(answers)+1 {
		t.Fatalf("%d requests, want %d", len(at), len(answers)+1)
	}
	// The wait after each answer: the pause after a failure or a busy
	// answer without Retry-After, its Retry-After (1 s), capped (1.5 s for 3600 s).
	least := []time.Duration{pause, time.Second, maxBusyWait, pause, pause}
	for i, want := range least {
		if gap := at[i+1].Sub(at[i]); gap < want || gap > want+time.Second {
			t.Errorf("after answer %d (%d, Retry-After %q): asked again %s later, want %s (up to 1 s more)",
				i, answers[i].status, answers[i].retryAfter, gap, want)
		}
	}
}

// lineSignal sends on its channel for each progress line written.
type lineSignal chan struct{}

func (s lineSignal) Write(p []byte) (int, error) {
	s <- struct{}{}
	return len(p), nil
}

// Waiting out a busy answer (Retry-After a minute) ends when the command's
// context does (Ctrl-C), at once.
func TestResultStopsWhileWaitingOutABusyAnswer(t *testing.T) {
	cs := newChunkServer(t, []answer{{http.StatusServiceUnavailable, "60"}})
	waiting := make(lineSignal, 1)
	cs.d.progress = waiting // "the provider is busy …; waiting for its turn", as the wait begins
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := cs.d.fetchChunk(ctx, 0)
		done <- err
	}()
	<-waiting
	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled while waiting out Retry-After: %v, want context.Canceled", err)
		}
		if took := time.Since(cancelled); took > 2*time.Second {
			t.Fatalf("stopped %s after the cancel", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting out the Retry-After 10 s after the cancel")
	}
}

// A provider busy for longer than the patience fails the chunk with
// ErrProviderBusy (the download is resumable), and failures still spend
// the attempts.
func TestResultGivesUpOnAProviderBusyPastThePatienceOrFailing(t *testing.T) {
	scaleChunkRetry(t, chunkRetryPolicy{attempts: 3, pause: 10 * time.Millisecond, maxBusyWait: 20 * time.Millisecond, patience: 200 * time.Millisecond})
	busy := make([]answer, 1000)
	for i := range busy {
		busy[i] = answer{http.StatusServiceUnavailable, "1"}
	}
	cs := newChunkServer(t, busy)
	if _, err := cs.d.fetchChunk(context.Background(), 0); !errors.Is(err, ErrProviderBusy) {
		t.Fatalf("busy past the patience: %v, want ErrProviderBusy", err)
	}
	if n := len(cs.times()); n < 5 || n >= len(busy) {
		t.Fatalf("%d requests in a patience of 200 ms, asked again every 20 ms", n)
	}

	failing := []answer{{http.StatusBadGateway, ""}, {http.StatusBadGateway, ""}, {http.StatusBadGateway, ""}}
	cs = newChunkServer(t, failing)
	_, err := cs.d.fetchChunk(context.Background(), 0)
	var be *dataserver.BusyError
	if err == nil || errors.As(err, &be) || len(cs.times()) != 3 {
		t.Fatalf("three failures: %v after %d requests, want the last failure after 3", err, len(cs.times()))
	}
}

// Ctrl-C during a download (here while chunk 1 of 2 waits out a busy
// answer) stops it at once with ErrInterrupted, chunk 0 kept in the
// .part file and its progress saved; the same command then resumes at
// chunk 1. Before, the command had no handler: the signal killed the
// process where it stood (this test's process with it), the progress up
// to a second stale.
func TestResultCtrlCSavesTheProgressAndResumes(t *testing.T) {
	chunks := [][]byte{bytes.Repeat([]byte{1, 2, 3, 4}, 64), bytes.Repeat([]byte{5, 6, 7, 8}, 64)}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	var busy atomic.Bool
	var asked [2]atomic.Int32
	busy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := 0
		if strings.HasSuffix(r.URL.Path, "/chunks/1") {
			i = 1
		}
		asked[i].Add(1)
		if i == 1 && busy.Load() {
			w.Header().Set("Retry-After", "60")
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		resp, err := jobexec.NewChunkResponse(7, tree, i, chunks[i])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	root := tree.Root()
	out := filepath.Join(t.TempDir(), "result.npy")
	waiting := make(lineSignal, 1)
	d := &resultDownload{job: types.Job{Id: 7, Rows: 2, Workload: types.WorkloadSpec{ChunkRows: 1},
		Result: types.JobResult{OutputRoot: root[:], ChunkCount: 2}},
		endpoint: srv.URL, audience: srv.URL, out: out, maxChunk: 1 << 20, progress: waiting,
		signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}, http: &http.Client{Timeout: 10 * time.Second}}

	done := make(chan error, 1)
	go func() { _, err := d.run(context.Background()); done <- err }()
	<-waiting // "the provider is busy …" for chunk 1
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Ctrl-C during the download: %v, want ErrInterrupted", err)
		}
		t.Logf("Ctrl-C: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("still downloading 10 s after Ctrl-C")
	}
	var st partState
	if b, err := os.ReadFile(out + ".part.json"); err != nil || json.Unmarshal(b, &st) != nil || st.Done != 1 {
		t.Fatalf("progress after Ctrl-C: %+v (%v), want chunk 0 saved as done", st, err)
	}

	busy.Store(false)
	d.progress = io.Discard
	if _, err := d.run(context.Background()); err != nil {
		t.Fatalf("resuming: %v", err)
	}
	got, err := os.ReadFile(out)
	want := append(npyHeader(2, 64), append(append([]byte(nil), chunks[0]...), chunks[1]...)...)
	if err != nil || !bytes.Equal(got, want) || asked[0].Load() != 1 {
		t.Fatalf("resumed file: %d bytes (%v), want %d; chunk 0 asked %d times, want once", len(got), err, len(want), asked[0].Load())
	}
}
