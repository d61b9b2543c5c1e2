package sidecar

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
)

// weightsProvider serves file at /v1/models/{sha}: while busy is set, the
// first request without a Range is cut after cut bytes and every other is
// answered 503; once busy is cleared, every request is served (ranges
// honoured). It records each request's Range and the body bytes sent.
type weightsProvider struct {
	*httptest.Server
	busy   atomic.Bool
	mu     sync.Mutex
	ranges []string
	sent   int
}

func newWeightsProvider(t *testing.T, file []byte, cut int) *weightsProvider {
	t.Helper()
	p := &weightsProvider{}
	p.busy.Store(true)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.ranges = append(p.ranges, r.Header.Get("Range"))
		p.mu.Unlock()
		if p.busy.Load() && r.Header.Get("Range") != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		cw := &countingWriter{ResponseWriter: w, p: p}
		if p.busy.Load() {
			http.ServeContent(&cutWriter{ResponseWriter: cw, left: cut}, r, "", time.Time{}, bytes.NewReader(file))
			return
		}
		http.ServeContent(cw, r, "", time.Time{}, bytes.NewReader(file))
	}))
	t.Cleanup(p.Close)
	return p
}

// countingWriter counts the body bytes its provider sent.
type countingWriter struct {
	http.ResponseWriter
	p *weightsProvider
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.p.mu.Lock()
	w.p.sent += n
	w.p.mu.Unlock()
	return n, err
}

func (w *countingWriter) Flush() { w.ResponseWriter.(http.Flusher).Flush() }

// requests returns the Ranges asked since the last call, and the bytes sent.
func (p *weightsProvider) requests() ([]string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, n := p.ranges, p.sent
	p.ranges, p.sent = nil, 0
	return r, n
}

// TestWeightsPartialCopyResumedByTheNextCheck: a check that gave up on a
// model's weights (the provider answered busy at every attempt after a cut
// transfer) kept nothing, and the next check asked for the whole file from
// byte 0: as a newcomer at the provider, behind validators that had merely
// waited longer (jobexec.WeightsSlots ranks a validator by what it resumes),
// fetching again what it had. Now the next check asks for the rest.
func TestWeightsPartialCopyResumedByTheNextCheck(t *testing.T) {
	file := bytes.Repeat([]byte("weights-"), (5<<20)/8)
	sha := workload.SHA256Hex(file)
	prov := newWeightsProvider(t, file, 2<<20)
	cfg := testConfig()
	cfg.MaxWeightsBytes = 8 << 20
	v := New(cfg, nil, nil, quiet(), NewMetrics("cpu"))

	if _, err := v.weightsFrom(prov.URL, v.newBusyBudget())(context.Background(), sha); err == nil {
		t.Fatal("set-up: the first check had the weights from a provider cutting at 2 MiB and then busy")
	}
	ranges, sent := prov.requests()
	if sent < 2<<20 || ranges[0] != "" {
		t.Fatalf("set-up: the first check asked %q and was sent %d bytes", ranges, sent)
	}

	prov.busy.Store(false)
	got, err := v.weightsFrom(prov.URL, v.newBusyBudget())(context.Background(), sha)
	if err != nil {
		t.Fatalf("the next check, the provider no longer busy: %v", err)
	}
	if !bytes.Equal(got.Bytes(), file) || !got.Is(sha) {
		t.Fatalf("the next check had %d bytes, not the weights' %d", len(got.Bytes()), len(file))
	}
	ranges, sent = prov.requests()
	if want := []string{"bytes=2097152-"}; strings.Join(ranges, ",") != strings.Join(want, ",") || sent != len(file)-2<<20 {
		t.Fatalf("the next check asked %q and was sent %d bytes, want %q and the other %d bytes", ranges, sent, want, len(file)-2<<20)
	}
	if n := len(v.partials.m); n != 0 || v.partials.held != 0 {
		t.Fatalf("%d partial copies (%d bytes) kept after the weights came whole, want none", n, v.partials.held)
	}
}

// TestAttackJunkFromOneProviderContinuedByAnother: hostile provider of a
// job on the same model as an honest provider's job. It sends junk as the
// weights and cuts the transfer, then answers busy, so that a check gives
// up with its junk kept: continued by the honest provider's bytes, the
// weights would fail their sha256 and the honest provider would be voted
// as serving something else. Bytes kept are continued only by the provider
// that sent them (partialWeights is keyed by endpoint and sha256).
func TestAttackJunkFromOneProviderContinuedByAnother(t *testing.T) {
	file := bytes.Repeat([]byte("weights-"), (5<<20)/8)
	sha := workload.SHA256Hex(file)
	hostile := newWeightsProvider(t, bytes.Repeat([]byte("junkjunk"), len(file)/8), 2<<20)
	honest := newWeightsProvider(t, file, 0)
	honest.busy.Store(false)
	cfg := testConfig()
	cfg.MaxWeightsBytes = 8 << 20
	v := New(cfg, nil, nil, quiet(), NewMetrics("cpu"))

	if _, err := v.weightsFrom(hostile.URL, v.newBusyBudget())(context.Background(), sha); err == nil {
		t.Fatal("set-up: junk passed as the weights")
	}
	if _, sent := hostile.requests(); sent < 2<<20 {
		t.Fatalf("set-up: the hostile provider sent %d bytes", sent)
	}
	got, err := v.weightsFrom(honest.URL, v.newBusyBudget())(context.Background(), sha)
	if err != nil || !bytes.Equal(got.Bytes(), file) {
		t.Fatalf("the honest provider's check after the hostile one's: %d bytes, %v; want the weights", len(got.Bytes()), err)
	}
	if ranges, _ := honest.requests(); len(ranges) != 1 || ranges[0] != "" {
		t.Fatalf("the honest provider was asked %q, want the whole file once", ranges)
	}
}

// TestPartialWeightsBounds: partial copies are kept up to the bound in
// all, the oldest dropped first, at most partialsKept of them, each for
// partialTTL; a run under freeCutBytes is not kept.
func TestPartialWeightsBounds(t *testing.T) {
	const MiB = 1 << 20
	p := &partialWeights{max: 10 * MiB}
	t0 := time.Unix(1_800_000_000, 0)
	buf := func(n int) []byte { return make([]byte, n) }
	p.put("a", "x", buf(4*MiB), t0)
	p.put("b", "x", buf(4*MiB), t0.Add(time.Second))
	p.put("c", "y", buf(4*MiB), t0.Add(2*time.Second)) // 12 MiB: a's, the oldest, goes
	if got := p.take("a", "x", t0.Add(3*time.Second)); got != nil {
		t.Errorf("the oldest copy kept past the bound: %d bytes", len(got))
	}
	if got := p.take("b", "x", t0.Add(3*time.Second)); len(got) != 4*MiB {
		t.Errorf("b's copy: %d bytes, want 4 MiB", len(got))
	}
	if got := p.take("b", "x", t0.Add(3*time.Second)); got != nil {
		t.Errorf("a copy taken twice: %d bytes the second time", len(got))
	}
	p.put("d", "x", buf(MiB-1), t0)
	p.put("e", "x", buf(11*MiB), t0)
	if _, ok := p.m[partialKey{"d", "x"}]; ok {
		t.Error("a copy under freeCutBytes kept")
	}
	if _, ok := p.m[partialKey{"e", "x"}]; ok {
		t.Error("a copy over the whole bound kept")
	}
	if got := p.take("c", "y", t0.Add(2*time.Second+partialTTL+time.Second)); got != nil {
		t.Errorf("a copy kept past partialTTL: %d bytes", len(got))
	}
	if p.held != 0 || len(p.m) != 0 {
		t.Fatalf("%d bytes in %d copies left, want none", p.held, len(p.m))
	}
	p = &partialWeights{max: 1 << 40}
	for i := range partialsKept + 4 {
		p.put(string(rune('a'+i)), "x", buf(MiB), t0.Add(time.Duration(i)*time.Second))
	}
	if len(p.m) != partialsKept || p.held != partialsKept*MiB {
		t.Fatalf("%d copies, %d bytes kept, want %d", len(p.m), p.held, partialsKept)
	}
	if got := p.take("a", "x", t0.Add(time.Minute)); got != nil {
		t.Error("the oldest of more than partialsKept copies kept")
	}
	p.drop("x")
	if p.held != 0 || len(p.m) != 0 {
		t.Fatalf("after drop: %d bytes in %d copies, want none", p.held, len(p.m))
	}
}
