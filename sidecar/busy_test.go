package sidecar

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/dataserver"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// busyServer answers 503 with its Retry-After while busy says so (n: the
// requests it answered before; since: the time since the first), and
// passes the others to next; it records when each request arrived and
// signals it on arrived, if set.
type busyServer struct {
	retryAfter string
	busy       func(n int, since time.Duration) bool
	next       http.Handler
	arrived    chan struct{}

	mu    sync.Mutex
	times []time.Time
}

func (b *busyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	now := time.Now()
	b.times = append(b.times, now)
	n, since := len(b.times)-1, now.Sub(b.times[0])
	b.mu.Unlock()
	if b.arrived != nil {
		select {
		case b.arrived <- struct{}{}:
		default:
		}
	}
	if b.busy(n, since) {
		w.Header().Set("Retry-After", b.retryAfter)
		http.Error(w, `{"error":"busy","message":"too many access checks at once; retry"}`, http.StatusServiceUnavailable)
		return
	}
	b.next.ServeHTTP(w, r)
}

// start serves b on 127.0.0.1 until the test ends.
func (b *busyServer) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	return srv.URL
}

// requests returns when each request arrived.
func (b *busyServer) requests() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Time(nil), b.times...)
}

// wantGaps checks that the server saw want requests, each at least min
// after the one before.
func (b *busyServer) wantGaps(t *testing.T, want int, min time.Duration) {
	t.Helper()
	times := b.requests()
	if len(times) != want {
		t.Fatalf("the server saw %d requests, want %d", len(times), want)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < min {
			t.Fatalf("request %d came %s after the one before, the server asked for %s", i+1, gap, min)
		}
	}
}

// forbidden answers as a dataset server that holds the version answers a
// validator without a licence.
var forbidden = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) })

// inputsJob is an aborted mlp job whose dataset server is at uri: the
// sidecar's check of its inputs (a validator's verifier with the model and
// the dataset's record).
func inputsJob(t *testing.T, uri string, cfg Config) (*Verifier, *chainSource, computetypes.PendingVerification) {
	t.Helper()
	model, ds := mlpFixture(t)
	rec := ds.Record
	rec.Uri = uri
	cfg.MLP = mlpSource{model: model, ds: rec}
	src := &chainSource{}
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, DatasetId: rec.Id,
		DatasetVersion: rec.Version, VerificationEnd: 1_000, UnavailableSpanBlocks: 3}
	return New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu")), src, pv
}

// TestBusyDatasetServerIsAskedAgainAfterRetryAfter: the dataset server of an
// aborted job is busy for two seconds (503, Retry-After: 2; its look-up
// pools full). The sidecar asked again a second apart (RetryBackoff), three
// times, and voted DATASET_UNAVAILABLE: the dataset fee refunded and an
// honest owner penalized for a busy moment. It now waits as told and votes
// INPUTS_AVAILABLE on its second request.
func TestBusyDatasetServerIsAskedAgainAfterRetryAfter(t *testing.T) {
	srv := &busyServer{retryAfter: "2", next: forbidden,
		busy: func(_ int, since time.Duration) bool { return since < 2*time.Second }}
	cfg := testConfig()
	cfg.FetchRetries = 3
	v, src, pv := inputsJob(t, srv.start(t), cfg)
	step(t, v, src, 10, pv)
	if got := v.Ready(10); len(got) != 1 || got[0].Verdict != computetypes.Verdict_VERDICT_INPUTS_AVAILABLE {
		t.Fatalf("verdicts %v, want INPUTS_AVAILABLE", got)
	}
	srv.wantGaps(t, 2, 1500*time.Millisecond)
}

// TestBusyProviderIsAskedAgainAfterRetryAfter: a provider answers its first
// chunk request busy (503, Retry-After: 2); the sidecar asks again two
// seconds later, not RetryBackoff later, and finds the result VALID.
func TestBusyProviderIsAskedAgainAfterRetryAfter(t *testing.T) {
	honest, root, n := provider(t, -1)
	srv := &busyServer{retryAfter: "2", next: honest.Config.Handler,
		busy: func(n int, _ time.Duration) bool { return n == 0 }}
	v := New(testConfig(), nil, cpu.New(), quiet(), NewMetrics("cpu"))
	if got, why := v.Verify(context.Background(), pending(srv.start(t), root, n, 0)); got != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("verdict %s (%s), want VALID", got, why)
	}
	srv.wantGaps(t, 2, 1500*time.Millisecond)
}

// TestAttackDatasetOwnerAnswersBusyForEver: an owner whose dataset an
// aborted job read answers every probe busy, to keep its fee: a check that
// ends without a quorum lets the abort stand with the fee paid (x/compute
// abort.go). The sidecar abstains on the polls where the server is busy,
// and votes DATASET_UNAVAILABLE once it has been busy at polls spanning
// unavailable_span_blocks, or half of what was left of the window when it
// first was (the window of an aborted job is not extended: with a span as
// long as the window, the span alone is never reached). Busy polls are not
// abstentions: the sidecar does not give up on the job after three.
func TestAttackDatasetOwnerAnswersBusyForEver(t *testing.T) {
	for _, c := range []struct {
		what      string
		span, end int64
		decided   int64 // the first poll with a verdict (the polls start at 10)
	}{
		{"busy across the span", 3, 1_000, 13},
		{"busy across half the window", 50, 60, 35},
	} {
		srv := &busyServer{retryAfter: "1", next: forbidden, busy: func(int, time.Duration) bool { return true }}
		cfg := testConfig()
		cfg.MaxRetryAfter = 20 * time.Millisecond
		v, src, pv := inputsJob(t, srv.start(t), cfg)
		pv.UnavailableSpanBlocks, pv.VerificationEnd = uint64(c.span), c.end
		for h := int64(10); h < c.decided; h++ {
			step(t, v, src, h, pv)
			if got := v.Ready(h); len(got) != 0 {
				t.Fatalf("%s: verdicts %v at height %d, busy since 10", c.what, got, h)
			}
		}
		step(t, v, src, c.decided, pv)
		if got := v.Ready(c.decided); len(got) != 1 || got[0].Verdict != computetypes.Verdict_VERDICT_DATASET_UNAVAILABLE {
			t.Fatalf("%s: verdicts %v at height %d, want DATASET_UNAVAILABLE", c.what, got, c.decided)
		}
		if got, want := len(srv.requests()), int(c.decided-9)*cfg.FetchRetries; got != want {
			t.Fatalf("%s: %d probes, want %d", c.what, got, want)
		}
	}
}

// TestBusyWaitStopsAtShutdown: a dataset server and a provider answer busy
// with Retry-After: 3600; the sidecar waits (up to its MaxRetryAfter, here
// two hours) instead of asking again, and a shutdown (the agent's SIGTERM
// cancelling Run's context) during the wait stops it within two seconds.
func TestBusyWaitStopsAtShutdown(t *testing.T) {
	always := func(int, time.Duration) bool { return true }
	dataset := &busyServer{retryAfter: "3600", next: forbidden, busy: always, arrived: make(chan struct{}, 1)}
	chunks := &busyServer{retryAfter: "3600", next: forbidden, busy: always, arrived: make(chan struct{}, 1)}
	cfg := testConfig()
	cfg.FetchRetries, cfg.MaxRetryAfter = 3, 2*time.Hour
	v, src, inputs := inputsJob(t, dataset.start(t), cfg)
	_, root, n := provider(t, -1)
	chunk := pending(chunks.start(t), root, n, 0)
	src.set(10, inputs, chunk)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { v.Run(ctx); close(stopped) }()
	for _, s := range []*busyServer{dataset, chunks} {
		select {
		case <-s.arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("no request reached a busy server")
		}
	}
	time.Sleep(200 * time.Millisecond) // both checks now wait
	cancel()
	at := time.Now()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("the sidecar still waits on Retry-After two seconds after its shutdown")
	}
	t.Logf("stopped %s after the shutdown", time.Since(at))
	for _, s := range []*busyServer{dataset, chunks} {
		if got := len(s.requests()); got != 1 {
			t.Fatalf("a server that asked for an hour's rest got %d requests", got)
		}
	}
}

// TestRetryWaitHonoursRetryAfterUpToTheCap: the wait after a failed attempt
// is RetryBackoff, or a busy answer's Retry-After when longer, at most
// MaxRetryAfter.
func TestRetryWaitHonoursRetryAfterUpToTheCap(t *testing.T) {
	cfg := testConfig()
	cfg.RetryBackoff = time.Second
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	busy := func(d time.Duration) error {
		return &dataserver.BusyError{Status: http.StatusServiceUnavailable, RetryAfter: d, Err: errors.New("busy")}
	}
	for _, c := range []struct {
		what string
		err  error
		want time.Duration
	}{
		{"not busy", errors.New("HTTP 500"), time.Second},
		{"busy, no Retry-After", busy(0), time.Second},
		{"busy, a shorter Retry-After", busy(100 * time.Millisecond), time.Second},
		{"busy, Retry-After: 2", busy(2 * time.Second), 2 * time.Second},
		{"busy, wrapped", errors.Join(errors.New("probe"), busy(5*time.Second)), 5 * time.Second},
		{"busy, Retry-After: a day", busy(24 * time.Hour), 30 * time.Second},
		{"busy, an HTTP-date a year ahead (parsed)", busy(dataserver.ParseRetryAfter(
			time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat), time.Now())), 30 * time.Second},
	} {
		if got := v.retryWait(c.err); got != c.want {
			t.Errorf("%s: waits %s, want %s", c.what, got, c.want)
		}
	}
}

// TestAttackBusySpanSurvivesOwnOutage: no one hostile; an honest dataset
// owner was voted against. The busy bound (busyFor) counted from the first
// poll at which the dataset's server was busy, and a poll at which this
// sidecar's own network was down (an input check with no evidence: not
// voted, not counted) did not restart it, where failing restarts the
// UNAVAILABLE span in that case. The server is busy a moment at height 10
// (its look-up pools full), the sidecar's network is down at 11 and 12, and
// when it comes back the server is busy a moment again (every sidecar of
// the outage asking at once fills its pools): busy at two instants, with
// nothing known between them, the sidecar voted DATASET_UNAVAILABLE at
// once, refunding the fee from an honest owner when a third of the power
// shared the outage (the case ac9525a guards against). Now a poll with the
// sidecar's own network down restarts the busy bound, as it restarts the
// UNAVAILABLE span, and the check at 13 abstains.
func TestAttackBusySpanSurvivesOwnOutage(t *testing.T) {
	var phase atomic.Value // "busy", "down" or "up"
	phase.Store("busy")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch phase.Load() {
		case "busy":
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
		case "down": // the sidecar's own network is down: no answer reaches it
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = c.Close()
			}
		default:
			forbidden.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig()
	cfg.MaxRetryAfter = 20 * time.Millisecond
	var offline atomic.Bool
	cfg.Connectivity = func(context.Context) error {
		if offline.Load() {
			return errors.New("no route")
		}
		return nil
	}
	v, src, pv := inputsJob(t, srv.URL, cfg) // unavailable_span_blocks 3, window to 1000
	step(t, v, src, 10, pv)                  // busy a moment
	phase.Store("down")
	offline.Store(true)
	for h := int64(11); h <= 12; h++ {
		step(t, v, src, h, pv)
		if got := v.Ready(h); len(got) != 0 {
			t.Fatalf("height %d, own network down: verdicts %v", h, got)
		}
	}
	phase.Store("busy") // back, and the server busy a moment again
	offline.Store(false)
	step(t, v, src, 13, pv)
	if got := v.Ready(13); len(got) != 0 {
		t.Fatalf("the server was seen busy at heights 10 and 13 only, nothing known between (own network down): verdicts %v at once", got)
	}
}

// TestAttackBusyChunksParkAWorker: hostile provider (or a competitor's).
// The scheduler's bound on what one check may cost a worker is the fetch
// policy's: FetchRetries attempts of FetchTimeout each, RetryBackoff apart,
// per sampled chunk ("a failed check can take the whole fetch policy's
// time", schedule.go). A busy answer bought more: the provider answers each
// sampled chunk 503 with Retry-After: 30 twice and serves it the third
// time, and the check waited 2 × MaxRetryAfter per chunk (60 s at the
// defaults, against 3 × 5 s + 2 × 1 s = 17 s for a provider that stalls
// each attempt to its timeout) and still ended VALID (the provider paid):
// with a few such jobs the sidecar's workers (2 by default) were parked for
// minutes and honest jobs' windows ended inconclusive. Here the defaults
// are scaled down 50× (FetchTimeout 100 ms, MaxRetryAfter 600 ms). Now the
// waits on busy answers in one check come out of one budget of
// MaxRetryAfter (busyBudget): once it is spent a busy chunk fails its fetch
// (UNAVAILABLE, which the span retries at later polls), and the check
// costs the worker one MaxRetryAfter, within the stalling provider's bound
// (counted here in requests, not timed).
func TestAttackBusyChunksParkAWorker(t *testing.T) {
	honest, root, n := provider(t, -1)
	srv := &busyServer{retryAfter: "30", next: honest.Config.Handler,
		busy: func(n int, _ time.Duration) bool { return n%3 != 2 }}
	cfg := testConfig()
	cfg.FetchTimeout, cfg.FetchRetries, cfg.RetryBackoff, cfg.MaxRetryAfter = 100*time.Millisecond, 3, 20*time.Millisecond, 600*time.Millisecond
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	indices := []uint64{0, 1, 2}
	start := time.Now()
	got, why := v.Verify(context.Background(), pending(srv.start(t), root, n, indices...))
	t.Logf("verdict %s (%s) after %s", got, why, time.Since(start).Round(time.Millisecond))
	// The budget (one MaxRetryAfter) covers one wait: the first chunk is
	// asked twice, its second busy answer fails the fetch, and the check
	// ends there. Before, every chunk was asked three times, two waits each.
	if reqs := len(srv.requests()); got != computetypes.Verdict_VERDICT_UNAVAILABLE || reqs != 2 {
		t.Fatalf("a provider answering busy: verdict %s after %d requests (one wait of %s); want UNAVAILABLE after 2",
			got, reqs, cfg.MaxRetryAfter)
	}
}

// TestAttackBusyInputsParkAWorker: the same, from a dataset owner whose
// aborted job's inputs a sidecar checks: every probe answered busy with
// Retry-After: 30 parked a worker (FetchRetries−1) × MaxRetryAfter per
// check. The input check's waits come out of the same one budget: one wait,
// then the check abstains for the poll as busy (the busy bound decides when
// busy is gone).
func TestAttackBusyInputsParkAWorker(t *testing.T) {
	srv := &busyServer{retryAfter: "30", next: forbidden, busy: func(int, time.Duration) bool { return true }}
	cfg := testConfig()
	cfg.FetchRetries, cfg.RetryBackoff, cfg.MaxRetryAfter = 3, 20*time.Millisecond, 300*time.Millisecond
	v, _, pv := inputsJob(t, srv.start(t), cfg)
	got, why, busy := v.verify(context.Background(), pv)
	if reqs := len(srv.requests()); got != computetypes.Verdict_VERDICT_UNSPECIFIED || !busy || reqs != 2 {
		t.Fatalf("an owner answering busy: verdict %s (%s), busy %v, after %d probes; want an abstention as busy after 2", got, why, busy, reqs)
	}
}
