package sidecar

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// chainSource is a node whose height and pending list a test moves.
type chainSource struct {
	mu     sync.Mutex
	height int64
	jobs   []computetypes.PendingVerification
}

func (c *chainSource) PendingVerifications(context.Context) (Pending, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Pending{Height: c.height, Jobs: append([]computetypes.PendingVerification{}, c.jobs...)}, nil
}

func (c *chainSource) set(h int64, jobs ...computetypes.PendingVerification) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.height, c.jobs = h, jobs
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// step polls at height h and runs the check the poll queued, as a worker would.
func step(t *testing.T, v *Verifier, src *chainSource, h int64, jobs ...computetypes.PendingVerification) {
	t.Helper()
	src.set(h, jobs...)
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if id, pv, ctx, ok := v.next(context.Background()); ok {
		v.check(ctx, id, pv)
	}
}

// switchable serves a job's chunks while up, and refuses connections' worth
// of answers (503) while down.
type switchable struct {
	up   atomic.Bool
	real http.Handler
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.up.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	s.real.ServeHTTP(w, r)
}

func switchableProvider(t *testing.T) (*switchable, string, computetypes.PendingVerification) {
	t.Helper()
	honest, root, n := provider(t, -1)
	sw := &switchable{real: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, honest.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})}
	srv := httptest.NewServer(sw)
	t.Cleanup(srv.Close)
	return sw, srv.URL, pending(srv.URL, root, n, 0, 2)
}

// TestAttackDisputeAndFloodEndpoint (issue 15, item 2): a requester disputes
// and floods the provider's endpoint for a while; the old sidecar turned
// three failed fetches into a permanent UNAVAILABLE, which counted as fraud.
// Now an outage shorter than unavailable_span_blocks gives no verdict at
// all, and once the provider serves again its result is VALID.
func TestAttackDisputeAndFloodEndpoint(t *testing.T) {
	sw, _, pv := switchableProvider(t)
	pv.UnavailableSpanBlocks = 5
	src := &chainSource{}
	v := New(testConfig(), src, cpu.New(), quiet(), NewMetrics("cpu"))
	for h := int64(10); h < 15; h++ { // down at heights 10..14: four blocks of failing
		step(t, v, src, h, pv)
		if got := v.Ready(h); len(got) != 0 {
			t.Fatalf("verdict at height %d, inside the span: %v", h, got)
		}
	}
	sw.up.Store(true)
	step(t, v, src, 15, pv)
	if got := v.Ready(15); len(got) != 1 || got[0].Verdict != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("after the outage: %v, want VALID", got)
	}
}

// TestWithholdingAcrossTheSpanIsUnavailable: a provider that fails at polls
// spanning unavailable_span_blocks is UNAVAILABLE.
func TestWithholdingAcrossTheSpanIsUnavailable(t *testing.T) {
	_, _, pv := switchableProvider(t)
	pv.UnavailableSpanBlocks = 5
	src := &chainSource{}
	v := New(testConfig(), src, cpu.New(), quiet(), NewMetrics("cpu"))
	for h := int64(10); h <= 15; h++ {
		step(t, v, src, h, pv)
	}
	if got := v.Ready(15); len(got) != 1 || got[0].Verdict != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("after failing from height 10 to 15: %v, want UNAVAILABLE", got)
	}
}

// TestAttackBrokenValidatorNetwork (issue 15, item 2): a validator whose own
// network is down used to vote UNAVAILABLE on everything. Its sidecar checks
// its connectivity before counting a failure and abstains while the check
// fails; once the network is back, the span starts again.
func TestAttackBrokenValidatorNetwork(t *testing.T) {
	_, _, pv := switchableProvider(t)
	pv.UnavailableSpanBlocks = 3
	var offline atomic.Bool
	offline.Store(true)
	cfg := testConfig()
	cfg.Connectivity = func(context.Context) error {
		if offline.Load() {
			return errors.New("no route")
		}
		return nil
	}
	src := &chainSource{}
	v := New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu"))
	for h := int64(10); h <= 20; h++ {
		step(t, v, src, h, pv)
		if got := v.Ready(h); len(got) != 0 {
			t.Fatalf("verdict at height %d with the validator's own network down: %v", h, got)
		}
	}
	offline.Store(false)
	for h := int64(21); h < 24; h++ { // the span counts from 21 again
		step(t, v, src, h, pv)
		if got := v.Ready(h); len(got) != 0 {
			t.Fatalf("verdict at height %d, %d blocks after the network came back: %v", h, h-21, got)
		}
	}
	step(t, v, src, 24, pv)
	if got := v.Ready(24); len(got) != 1 || got[0].Verdict != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("after a span with the network up: %v, want UNAVAILABLE", got)
	}
}

// TestProbeConnectivity: any answer passes; no answer fails; no URL, no check.
func TestProbeConnectivity(t *testing.T) {
	up := httptest.NewServer(http.NotFoundHandler())
	defer up.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	if ProbeConnectivity(http.DefaultClient, nil, time.Second) != nil {
		t.Fatal("a check without probe URLs")
	}
	if err := ProbeConnectivity(http.DefaultClient, []string{down.URL, up.URL}, time.Second)(context.Background()); err != nil {
		t.Fatalf("one probe answers: %v", err)
	}
	if err := ProbeConnectivity(http.DefaultClient, []string{down.URL}, time.Second)(context.Background()); err == nil {
		t.Fatal("no probe answers, and the check passes")
	}
}

// TestAttackClogTheQueue (issue 15, item 3): a cheater floods verification
// with jobs so that a FIFO queue reaches its own job only after its window.
// Workers take the job whose window ends first; a check is cancelled when
// its job leaves the pending list or its window ends, so a stalling provider
// holds a worker no longer than its window.
func TestAttackClogTheQueue(t *testing.T) {
	_, root, n := provider(t, -1)
	stalled := make(chan struct{}, 8)
	staller := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stalled <- struct{}{}
		<-r.Context().Done()
	}))
	defer staller.Close()
	cfg := testConfig()
	cfg.FetchTimeout = time.Minute
	src := &chainSource{}
	v := New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu"))
	var jobs []computetypes.PendingVerification
	for id := uint64(1); id <= 5; id++ { // the clog: low ids, late windows
		pv := pending(staller.URL, root, n, 0)
		pv.JobId, pv.VerificationEnd = id, 500
		jobs = append(jobs, pv)
	}
	urgent := pending(staller.URL, root, n, 0)
	urgent.JobId, urgent.VerificationEnd = 99, 20
	src.set(10, append(jobs, urgent)...)
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	id, pv, ctx, ok := v.next(context.Background())
	if !ok || id != 99 {
		t.Fatalf("first job taken: %d (%t), want the one whose window ends first (99)", id, ok)
	}
	// The check stalls on the provider until its window ends.
	done := make(chan struct{})
	go func() { v.check(ctx, id, pv); close(done) }()
	<-stalled
	src.set(20, append(jobs, urgent)...)
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the check went on after its window ended")
	}
	// A job that leaves the pending list is cancelled and forgotten too.
	id, pv, ctx, _ = v.next(context.Background())
	done = make(chan struct{})
	go func() { v.check(ctx, id, pv); close(done) }()
	<-stalled
	src.set(21)
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the check went on after its job left the pending list")
	}
	if got := v.Ready(21); len(got) != 0 || len(v.jobs) != 0 {
		t.Fatalf("after the list emptied: verdicts %v, %d jobs kept", got, len(v.jobs))
	}
}

// TestAttackOnlyLowestIDsFit (issue 15, item 3): only the lowest 2048 job
// ids used to fit in an extension, so a cheater with a high id behind a
// flood of low ones was never voted on. Ready sends a window that rotates
// with the height: within two heights every ready verdict has been sent.
func TestAttackOnlyLowestIDsFit(t *testing.T) {
	v := New(testConfig(), nil, cpu.New(), quiet(), NewMetrics("cpu"))
	const total = computetypes.MaxVerdictsPerExtension + 1000
	for id := uint64(1); id <= total; id++ {
		v.jobs[id] = &jobState{done: true, verdict: computetypes.Verdict_VERDICT_VALID}
	}
	sent := map[uint64]bool{}
	for h := int64(1); h <= 2; h++ {
		got := v.Ready(h)
		if len(got) != computetypes.MaxVerdictsPerExtension {
			t.Fatalf("height %d: %d verdicts, want %d", h, len(got), computetypes.MaxVerdictsPerExtension)
		}
		for i, jv := range got {
			if i > 0 && got[i-1].JobId >= jv.JobId {
				t.Fatalf("height %d: verdicts out of order at %d", h, i)
			}
			sent[jv.JobId] = true
		}
	}
	if len(sent) != total {
		t.Fatalf("%d of %d verdicts sent in two heights", len(sent), total)
	}
}

// TestChunkBoundedByTheChain (issue 15, item 3): a provider that sends a
// chunk larger than the chain's max_chunk_bytes is refused before any
// recomputation.
func TestChunkBoundedByTheChain(t *testing.T) {
	honest, root, n := provider(t, -1)
	v := New(testConfig(), nil, cpu.New(), quiet(), NewMetrics("cpu"))
	pv := pending(honest.URL, root, n, 0)
	if got, why := v.Verify(context.Background(), pv); got != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("within the bound: %v (%s)", got, why)
	}
	pv.MaxChunkBytes = 8 // the chunk has 4 rows × 16 columns × 4 bytes
	if got, _ := v.Verify(context.Background(), pv); got != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("a chunk over max_chunk_bytes: %v, want UNAVAILABLE", got)
	}
}

// TestAttackFailingJobsCrowdOutTheQueue: a hostile provider submits two
// results early (their verification windows end first) and stalls their
// chunks, each failed check costing a worker the fetch policy's time. The
// failing jobs are queued again at every poll; were the queue ordered by
// window alone, they would be checked again and again ahead of an honest
// job until the end of its window (inconclusive: its provider unpaid). A
// job not yet failing goes first: the honest job is checked as soon as the
// hostile ones have failed once, and they are still judged UNAVAILABLE
// across their span when the workers are free.
func TestAttackFailingJobsCrowdOutTheQueue(t *testing.T) {
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(stall.Close)
	honestSrv, root, n := provider(t, -1)
	var hostile []computetypes.PendingVerification
	for id := uint64(1); id <= 2; id++ {
		pv := pending(stall.URL, root, n, 0)
		pv.JobId, pv.VerificationEnd, pv.UnavailableSpanBlocks = id, 100, 4
		hostile = append(hostile, pv)
	}
	honest := pending(honestSrv.URL, root, n, 0)
	honest.JobId, honest.VerificationEnd = 3, 200
	all := append(append([]computetypes.PendingVerification{}, hostile...), honest)

	src := &chainSource{}
	v := New(testConfig(), src, cpu.New(), quiet(), NewMetrics("cpu"))
	// One check per poll, as one busy worker would: heights 10 and 11 try
	// the two hostile jobs (their windows end first); 12 must be the honest
	// one, though both hostile jobs are queued again.
	for h := int64(10); h <= 12; h++ {
		step(t, v, src, h, all...)
	}
	if got := v.Ready(12); len(got) != 1 || got[0].JobId != honest.JobId || got[0].Verdict != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("verdicts at height 12: %v, want the honest job's VALID", got)
	}
	// The workers free, the failing jobs are tried again and judged across
	// their span.
	for h := int64(13); h <= 15; h++ {
		step(t, v, src, h, all...)
		step(t, v, src, h, all...)
	}
	got := v.Ready(15)
	if len(got) != 3 || got[0].Verdict != computetypes.Verdict_VERDICT_UNAVAILABLE || got[1].Verdict != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("verdicts at height 15: %v, want the hostile jobs UNAVAILABLE", got)
	}
}

// flakyMLP fails its first `fails` model loads (the node briefly unreachable),
// then answers; it counts the loads.
type flakyMLP struct {
	mlpSource
	fails int32
	loads *atomic.Int32
}

func (f flakyMLP) Model(ctx context.Context, id uint64) (*workload.Model, error) {
	if f.loads.Add(1) <= f.fails {
		return nil, errors.New("rpc error: code = Unavailable (the node restarting)")
	}
	return f.mlpSource.Model(ctx, id)
}

// A check that cannot run (its node briefly unreachable, say during an
// upgrade's restart) used to be an abstention for good: enough of them and
// an honest result ends inconclusive, its provider unpaid. It is tried again
// at later polls, behind fresh jobs; a job this sidecar can never run is
// given up after maxAbstentions checks.
func TestAbstentionIsTriedAgain(t *testing.T) {
	model, ds := mlpFixture(t)
	srv, root, n := mlpProvider(t, model, ds, -1, nil)
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, Indices: []uint64{0, 2}, OutputRoot: root[:],
		ChunkCount: uint64(n), ProviderEndpoint: srv.URL, VerificationEnd: 1_000}
	for _, c := range []struct {
		what   string
		fails  int32
		want   []computetypes.JobVerdict
		checks int32
	}{
		{"the node unreachable at the first check", 1, []computetypes.JobVerdict{{JobId: 9, Verdict: computetypes.Verdict_VERDICT_VALID}}, 2},
		{"a model this sidecar never loads", 1 << 30, nil, maxAbstentions},
	} {
		loads := new(atomic.Int32)
		cfg := testConfig()
		cfg.MLP = flakyMLP{mlpSource: mlpSource{model: model, ds: ds.Record}, fails: c.fails, loads: loads}
		src := &chainSource{}
		v := New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu"))
		for h := int64(10); h < 16; h++ {
			step(t, v, src, h, pv)
		}
		if got := v.Ready(16); len(got) != len(c.want) || (len(got) == 1 && got[0] != c.want[0]) {
			t.Fatalf("%s: verdicts %v, want %v", c.what, got, c.want)
		}
		if got := loads.Load(); got != c.checks {
			t.Fatalf("%s: %d checks, want %d", c.what, got, c.checks)
		}
	}
}
