package sidecar

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAttackWeightsOfAPowerOfTwoDoubleTheirBuffer: hostile party: a job's
// provider asked for its model's weights (their uri failed), which answers
// with exactly MaxWeightsBytes of junk. The answer was read into a buffer
// that grows by doubling, from what an earlier transfer brought: its last
// growth, for the byte that tells a body at the limit from one past it,
// made it twice the limit (and three times while it was copied), so that
// each worker's transfer held twice what the README stated. The buffer
// now grows by doubling only up to the limit and the byte past it.
// Scaled: MaxWeightsBytes 4 MiB, with and without 1 MiB brought before.
func TestAttackWeightsOfAPowerOfTwoDoubleTheirBuffer(t *testing.T) {
	const limit = 4 << 20
	for _, had := range []int{0, 1 << 20} {
		prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") != "" {
				w.Header().Set("Content-Range", "bytes 1048576-4194303/4194304")
				w.WriteHeader(http.StatusPartialContent)
			}
			_, _ = w.Write(bytes.Repeat([]byte{7}, limit-had))
		}))
		cfg := testConfig()
		cfg.MaxWeightsBytes = limit
		v := New(cfg, nil, nil, quiet(), NewMetrics("cpu"))
		res, err := v.signedGetFrom(t.Context(), prov.URL, prov.URL+"/v1/models/x", int64(had))
		if err != nil {
			t.Fatal(err)
		}
		data, _, err := v.readWeights(res, prov.URL, strings.Repeat("ab", 32), make([]byte, had))
		_ = res.Body.Close()
		prov.Close()
		if err != nil || len(data) != limit {
			t.Fatalf("after %d bytes: read %d bytes (%v), want the %d sent", had, len(data), err, limit)
		}
		if cap(data) > limit+1 {
			t.Fatalf("after %d bytes: %d bytes of weights at the limit held in a buffer of %d", had, len(data), cap(data))
		}
	}
}
