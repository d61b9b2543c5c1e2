package sidecar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackSlowValidChunksParkEveryWorker: hostile provider (and
// requester: a self-dealt job with bought assurance). The fetch policy
// bounds one chunk (FetchTimeout per attempt), not one check: a provider
// that serves every sampled chunk correctly, each just inside FetchTimeout,
// holds a worker for samples × FetchTimeout, and no check is ever
// preempted for a more urgent job. At the defaults (FetchTimeout 5 s,
// up to 2048 bought samples) that is 2048 × ~4.9 s ≈ 2.8 hours, far past a
// 50-block window; the check is only cancelled at its own window's end,
// no verdict is sent (inconclusive: the requester's escrow and fee come
// back whole), and two such jobs hold both default workers of every
// validator's sidecar. An honest job whose window ends first (the
// scheduler's own priority) gets no verdict in its window: its provider
// ends inconclusive, unpaid.
//
// Scaled down here: FetchTimeout 300 ms, each hostile chunk served after
// 250 ms, 6 sampled chunks per hostile job (1.5 s per check); the honest
// job's window runs 10 heights of 30 ms.
func TestAttackSlowValidChunksParkEveryWorker(t *testing.T) {
	honestSrv, root, n := provider(t, -1)
	var slowReqs atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowReqs.Add(1)
		select { // just inside FetchTimeout, then the right chunk
		case <-time.After(250 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		honestSrv.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)

	cfg := testConfig() // FetchTimeout 300 ms
	cfg.Workers, cfg.PollInterval = 2, 10*time.Millisecond
	src := &chainSource{}
	v := New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu"))

	var hostile []computetypes.PendingVerification
	for id := uint64(1); id <= 2; id++ {
		pv := pending(slow.URL, root, n, 0, 1, 2, 3, 4, 5) // every chunk (FULL assurance)
		pv.JobId, pv.VerificationEnd = id, 1_000
		hostile = append(hostile, pv)
	}
	src.set(10, hostile...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { v.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// Both workers take the hostile jobs (the only ones pending).
	for deadline := time.Now().Add(5 * time.Second); slowReqs.Load() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the workers did not start on the hostile jobs")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// An honest job enters verification; its window ends first.
	honest := pending(honestSrv.URL, root, n, 0)
	honest.JobId, honest.VerificationEnd = 3, 20
	var verdictAt int64
	for h := int64(11); h < honest.VerificationEnd && verdictAt == 0; h++ {
		src.set(h, append(append([]computetypes.PendingVerification{}, hostile...), honest)...)
		time.Sleep(30 * time.Millisecond)
		for _, jv := range v.Ready(h) {
			if jv.JobId == honest.JobId && jv.Verdict == computetypes.Verdict_VERDICT_VALID {
				verdictAt = h
			}
		}
	}
	if verdictAt == 0 {
		t.Fatalf("the honest job (window ends at height %d, before the hostile jobs') got no verdict in its window: "+
			"both workers were held by a provider serving each valid chunk just inside FetchTimeout (%d slow requests so far)",
			honest.VerificationEnd, slowReqs.Load())
	}
}
