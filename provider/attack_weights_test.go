package provider

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// TestAttackWeightsRequestsHoldWholeCopies: one bonded validator (a hostile
// one below 1/3 of the power is in the threat model) sends concurrent GET
// /v1/models/{sha256} and reads the responses slowly. Each request read the
// whole weights file into memory (up to MaxWeightsBytes, 1 GiB) and hashed
// it, and held the copy while the validator drained it: eight requests held
// 128 MiB of a 16 MiB file, and enough of them ran the agent out of memory
// (its jobs then time out). Now the file is streamed and hashed once, and a
// validator gets at most maxWeightsTransfersPerSigner at once (503 busy
// beyond): the memory held does not grow with the requests.
func TestAttackWeightsRequestsHoldWholeCopies(t *testing.T) {
	const size, k = 16 << 20, 8
	cache := t.TempDir()
	file := bytes.Repeat([]byte("weights!"), size/8)
	sha := workload.SHA256Hex(file)
	if err := os.MkdirAll(filepath.Join(cache, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "models", sha+".safetensors"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	file = nil
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{CacheDir: cache})
	s := newServed(t, 9, gemmChunks(), Config{Weights: resolver.OpenCachedWeights}, Record{ModelSha: sha, PendingTx: "RESULT"}) // its result sent

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var open []*http.Response
	busy := 0
	for i := 0; i < k; i++ {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/models/"+sha, nil)
		if err := signedreq.Sign(req, s.validator, s.url, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case http.StatusOK: // its body read later, slowly
			open = append(open, resp)
		case http.StatusServiceUnavailable:
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
			busy++
			resp.Body.Close()
		default:
			t.Fatalf("validator: status %d", resp.StatusCode)
		}
	}
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	grown := int64(held.HeapAlloc) - int64(base.HeapAlloc)
	t.Logf("%d slow weights responses of %d MiB (%d refused busy) hold %d MiB of heap", len(open), size>>20, busy, grown>>20)
	if len(open) != maxWeightsTransfersPerSigner || busy != k-maxWeightsTransfersPerSigner {
		t.Errorf("%d transfers under way and %d refused, want %d and %d", len(open), busy, maxWeightsTransfersPerSigner, k-maxWeightsTransfersPerSigner)
	}
	if grown > size/2 {
		t.Errorf("%d weights transfers of one validator hold %d MiB of heap (%.1f copies of the %d MiB file)", len(open), grown>>20, float64(grown)/size, size>>20)
	}
	// A transfer read to its end is the whole file, and frees its place.
	whole, err := io.ReadAll(open[0].Body)
	open[0].Body.Close()
	if err != nil || len(whole) != size || workload.SHA256Hex(whole) != sha {
		t.Fatalf("streamed weights: %d bytes, %v", len(whole), err)
	}
	for _, r := range open[1:] {
		r.Body.Close()
	}
	// The server sees a closed connection at its next write.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := s.get(t, s.validator, s.url, "/v1/models/"+sha)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the transfers ended: status %d", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
