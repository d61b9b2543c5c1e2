package sidecar

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// TestAttackWeightsMirrorJunkPastLimitHoldsTheCheck: readWeights hashes a
// mirror's body past MaxWeightsBytes, to tell weights over this sidecar's
// limit (abstain) from junk (UNAVAILABLE). It hashed up to 16 GiB, and the
// old whole-fetch timeout (2 minutes) was what ended it; a body past the
// fetch policy's Timeout now goes on while it averages AvgRate, so a hostile
// provider whose model uri fails served endless junk at AvgRate (4 MiB/s by
// default) and held the check's worker for 16 GiB / 4 MiB/s ≈ 68 minutes, in
// the model's load, which preemption did not cut then (slicedMirror). Now at most
// MaxWeightsHashed is read (by default 1 GiB, the largest weights file a
// provider agent parses): here 256 KiB, ended in under a second, and the
// junk is UNAVAILABLE (not the weights), not an abstention.
func TestAttackWeightsMirrorJunkPastLimitHoldsTheCheck(t *testing.T) {
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/models/") {
			http.NotFound(w, r)
			return
		}
		f := w.(http.Flusher)
		w.WriteHeader(http.StatusOK)
		junk := make([]byte, 16<<10)
		for {
			if _, err := w.Write(junk); err != nil {
				return
			}
			f.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond): // 320 KiB/s
			}
		}
	}))
	defer prov.Close()
	cfg := testConfig()
	cfg.MaxWeightsBytes = 4 << 10
	cfg.MaxWeightsHashed = 256 << 10
	cfg.Fetch = jobexec.FetchPolicy{AllowLocal: true, HeaderTimeout: time.Second, Timeout: 300 * time.Millisecond,
		AvgRate: 64 << 10, MinRate: 16 << 10, RateWindow: 100 * time.Millisecond}
	v := New(cfg, nil, nil, quiet(), NewMetrics("cpu"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := v.weightsFrom(prov.URL, v.newBusyBudget())(ctx, strings.Repeat("ab", 32))
		done <- err
	}()
	select {
	case err := <-done:
		t.Logf("ended after %v: %v", time.Since(start).Round(time.Millisecond), err)
		if err == nil || errors.Is(err, workload.ErrTooLarge) || !strings.Contains(err.Error(), "not the weights") {
			t.Fatalf("junk past the limit: %v; want the plain error of bytes that are not the weights (UNAVAILABLE)", err)
		}
	case <-time.After(4 * time.Second):
		cancel()
		<-done
		t.Fatalf("a provider serving junk past MaxWeightsBytes at AvgRate still held the weights fetch after %v "+
			"(the old whole-fetch timeout: %v; the weights' own allowance Timeout + MaxWeightsBytes/AvgRate ≈ 0.36 s): "+
			"only MaxWeightsHashed ends it",
			time.Since(start).Round(time.Millisecond), cfg.Fetch.Timeout)
	}
}
