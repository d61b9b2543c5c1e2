package sidecar

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// slowServer serves an honest provider's chunks each after delay, and
// counts the answers it completed by path.
type slowServer struct {
	delay time.Duration
	next  http.Handler

	mu     sync.Mutex
	served map[string]int
}

func (s *slowServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-time.After(s.delay):
	case <-r.Context().Done():
		return
	}
	s.mu.Lock()
	s.served[r.URL.Path]++
	s.mu.Unlock()
	s.next.ServeHTTP(w, r)
}

// TestAttackSlowValidJobsAheadOfTheHonestOne: the provider's slow but valid
// jobs enter verification just ahead of the honest one (their windows end
// first, so they are checked first). Once a hostile check has run its slice
// (CheckSlice, 620 ms here) it goes a level behind and the honest job,
// never checked, takes its worker: the honest verdict comes long before
// the hostile checks (1.5 s each) could end. The hostile checks then go on
// where they were cut short: each chunk received whole once, and VALID only
// with every sampled chunk verified.
func TestAttackSlowValidJobsAheadOfTheHonestOne(t *testing.T) {
	honestSrv, root, n := provider(t, -1)
	slow := &slowServer{delay: 250 * time.Millisecond, next: honestSrv.Config.Handler, served: map[string]int{}}
	slowSrv := httptest.NewServer(slow)
	t.Cleanup(slowSrv.Close)

	cfg := testConfig() // CheckSlice 2 × (300 + 10) ms
	cfg.Workers, cfg.PollInterval = 2, 10*time.Millisecond
	src := &chainSource{}
	v := New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu"))
	// Counted where the verifier reads: a slice can end after the server
	// wrote a chunk and before the verifier read it, and that chunk is
	// rightly fetched again. What must never happen is a second fetch of a
	// chunk the verifier already received whole.
	got := &wholeBodies{next: v.http.Transport, read: map[string]int{}}
	v.http.Transport = got
	var jobs []computetypes.PendingVerification
	for id := uint64(1); id <= 2; id++ {
		pv := pending(slowSrv.URL, root, n, 0, 1, 2, 3, 4, 5)
		pv.JobId, pv.VerificationEnd = id, 100
		jobs = append(jobs, pv)
	}
	honest := pending(honestSrv.URL, root, n, 0, 1)
	honest.JobId, honest.VerificationEnd = 3, 101
	src.set(10, jobs...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { v.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond) // both workers on the hostile jobs
	src.set(11, append(jobs, honest)...)

	verdicts := func() map[uint64]computetypes.Verdict {
		out := map[uint64]computetypes.Verdict{}
		for _, jv := range v.Ready(11) {
			out[jv.JobId] = jv.Verdict
		}
		return out
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got := verdicts()
		if _, ok := got[honest.JobId]; ok {
			if len(got) != 1 || got[honest.JobId] != computetypes.Verdict_VERDICT_VALID {
				t.Fatalf("verdicts when the honest job's came: %v, want its VALID alone, before the hostile checks end", got)
			}
			break
		}
		if len(got) > 0 || time.Now().After(deadline) {
			t.Fatalf("verdicts %v: the honest job waited behind the slow valid checks", got)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); len(verdicts()) < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the hostile checks did not end after their slices: %v", verdicts())
		}
	}
	if got := verdicts(); got[1] != computetypes.Verdict_VERDICT_VALID || got[2] != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("the slow valid jobs: %v, want VALID", got)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for path, c := range got.read {
		if c != 1 {
			t.Fatalf("%s received whole %d times: a verified chunk was fetched again", path, c)
		}
	}
	if len(got.read) != 6+6+2 {
		t.Fatalf("%d chunks received whole (%v), want the 6 of each hostile job and the honest job's 2", len(got.read), got.read)
	}
}

// wholeBodies counts, by path, the chunk responses whose bodies the client
// read to the end.
type wholeBodies struct {
	next http.RoundTripper

	mu   sync.Mutex
	read map[string]int
}

func (w *wholeBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := w.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	res.Body = &countedBody{ReadCloser: res.Body, done: func() {
		w.mu.Lock()
		if strings.Contains(r.URL.Path, "/chunks/") {
			w.read[r.URL.Path]++
		}
		w.mu.Unlock()
	}}
	return res, nil
}

// countedBody calls done once, when a read reaches the body's end.
type countedBody struct {
	io.ReadCloser
	done func()
	once sync.Once
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.once.Do(b.done)
	}
	return n, err
}

// A slice resumes where the check stopped, and only a check that verified
// every sampled chunk is VALID.
func TestSliceResumesAndNeverVotesOnPart(t *testing.T) {
	honestSrv, root, n := provider(t, -1)
	counted := &slowServer{next: honestSrv.Config.Handler, served: map[string]int{}}
	srv := httptest.NewServer(counted)
	t.Cleanup(srv.Close)
	v := New(testConfig(), nil, cpu.New(), quiet(), NewMetrics("cpu"))
	pv := pending(srv.URL, root, n, 0, 1, 2)

	cut, stop := context.WithCancel(context.Background())
	stop() // taken back before it fetched anything
	p := chunkProgress{}
	if o := v.checkOnce(context.Background(), cut, pv, &p); !o.yielded || o.verdict != computetypes.Verdict_VERDICT_UNSPECIFIED || p.verified != 0 {
		t.Fatalf("a slice cut short: %+v (verified %d), want it yielded with no verdict", o, p.verified)
	}
	p.verified = 2 // chunks 0 and 1 verified by an earlier slice
	if o := v.checkOnce(context.Background(), context.Background(), pv, &p); o.verdict != computetypes.Verdict_VERDICT_VALID || p.verified != 3 {
		t.Fatalf("the last slice: %+v (verified %d), want VALID with all 3", o, p.verified)
	}
	if len(counted.served) != 1 || counted.served["/v1/jobs/7/chunks/2"] != 1 {
		t.Fatalf("fetched %v, want chunk 2 alone", counted.served)
	}
	// A wrong chunk found in a later slice is INVALID at once.
	cheat, cheatRoot, _ := provider(t, 2)
	p = chunkProgress{verified: 2}
	if o := v.checkOnce(context.Background(), context.Background(), pending(cheat.URL, cheatRoot, n, 0, 1, 2), &p); o.verdict != computetypes.Verdict_VERDICT_INVALID {
		t.Fatalf("a wrong chunk after a slice: %v, want INVALID", o.verdict)
	}
}

// TestAttackBusyBudgetPerSlice: the busy budget is one check's, whatever
// its slices: a provider that spent it in an earlier slice is not waited
// for again in the next (a fresh check would be).
func TestAttackBusyBudgetPerSlice(t *testing.T) {
	honest, root, n := provider(t, -1)
	srv := &busyServer{retryAfter: "1", next: honest.Config.Handler, busy: func(n int, _ time.Duration) bool { return n < 2 }}
	url := srv.start(t)
	cfg := testConfig()
	cfg.MaxRetryAfter = time.Second
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	spent := chunkProgress{inCheck: true} // an earlier slice spent the budget
	o := v.checkOnce(context.Background(), context.Background(), pending(url, root, n, 0), &spent)
	if reqs := len(srv.requests()); o.verdict != computetypes.Verdict_VERDICT_UNAVAILABLE || reqs != 1 {
		t.Fatalf("busy with the check's budget spent: %v after %d requests, want UNAVAILABLE after 1", o.verdict, reqs)
	}
	fresh := chunkProgress{} // a new check: a whole budget
	if o := v.checkOnce(context.Background(), context.Background(), pending(url, root, n, 0), &fresh); o.verdict != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("busy once in a new check: %v, want VALID after one wait", o.verdict)
	}
}

// preempt takes a worker back at once for a job never checked that comes
// first, for one already checked only once the running slice has run
// CheckSlice, and never for a job that comes after the running one.
func TestPreemptRules(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		what      string
		queued    jobState
		sliceAge  time.Duration
		preempted bool
	}{
		{"a new job, window first", jobState{pv: computetypes.PendingVerification{JobId: 2, VerificationEnd: 50}}, 0, true},
		{"a new job, window after", jobState{pv: computetypes.PendingVerification{JobId: 2, VerificationEnd: 200}}, 0, false},
		{"a checked job, slice young", jobState{checked: true, pv: computetypes.PendingVerification{JobId: 2, VerificationEnd: 50}}, time.Second, false},
		{"a checked job, slice spent", jobState{checked: true, pv: computetypes.PendingVerification{JobId: 2, VerificationEnd: 50}}, 3 * time.Second, true},
		{"a new job, behind a spent slice", jobState{pv: computetypes.PendingVerification{JobId: 2, VerificationEnd: 200}}, 3 * time.Second, true},
		{"a failing job, slice young", jobState{checked: true, failingSince: 5, pv: computetypes.PendingVerification{JobId: 2, VerificationEnd: 50}}, time.Second, false},
	} {
		v := New(Config{Workers: 1, CheckSlice: 2 * time.Second}, nil, cpu.New(), quiet(), NewMetrics("cpu"))
		cut := false
		running := &jobState{running: true, checked: true, sliceStart: now.Add(-c.sliceAge), yield: func() { cut = true },
			pv: computetypes.PendingVerification{JobId: 1, VerificationEnd: 100}}
		q := c.queued
		q.queued = true
		v.jobs[1], v.jobs[2] = running, &q
		v.preempt(now)
		if cut != c.preempted {
			t.Fatalf("%s: preempted %t, want %t", c.what, cut, c.preempted)
		}
	}
}
