package provider

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/internal/slots"
)

// The weights endpoint bounds its transfers (maxWeightsTransfersPerSigner:
// TestAttackWeightsRequestsHoldWholeCopies); the chunk endpoint did not. A
// hostile requester posts a job with large chunks (--max-chunk-bytes, 16 MiB
// by default), lets the agent win and run it, and then sends concurrent
// signed requests for its chunks and reads the answers slowly. Each request
// reads the whole chunk into memory and JSON-encodes it (base64) before the
// first byte leaves, and holds both while the requester drains it (up to the
// server's 60 s write timeout); the nonce store lets one address make 20,000
// requests a minute. The memory held grew with the requests until the
// agent was out of memory and its other jobs timed out. Now the chunk is
// streamed from its file, and one signer gets at most
// maxChunkTransfersPerSigner responses at once (503 busy, with Retry-After,
// beyond): the memory held does not grow with the requests.
func TestAttackChunkRequestsHoldWholeCopies(t *testing.T) {
	const size, k = 16 << 20, 8
	chunks := [][]byte{bytes.Repeat([]byte("big."), size/4), bytes.Repeat([]byte("chnk"), size/4)}
	s := newServed(t, 9, chunks, Config{}, Record{})
	chunks = nil

	runtime.GC()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var open []*http.Response
	busy := 0
	for i := 0; i < k; i++ {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/jobs/9/chunks/1", nil)
		if err := signedreq.Sign(req, s.requester, s.url, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		switch resp.StatusCode {
		case http.StatusOK: // its body read later, slowly
			open = append(open, resp)
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			if resp.Header.Get("Retry-After") == "" {
				t.Fatalf("busy answer %d without Retry-After", i)
			}
			busy++
			resp.Body.Close()
		default:
			t.Fatalf("requester: status %d", resp.StatusCode)
		}
	}
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	var held runtime.MemStats
	runtime.ReadMemStats(&held)
	grown := int64(held.HeapAlloc) - int64(base.HeapAlloc)
	for _, r := range open {
		r.Body.Close()
	}
	t.Logf("%d slow chunk responses of %d MiB (%d refused busy) hold %d MiB of heap", len(open), size>>20, busy, grown>>20)
	if len(open) > maxChunkTransfersPerSigner {
		t.Errorf("%d chunk responses of one requester under way at once, at most %d allowed", len(open), maxChunkTransfersPerSigner)
	}
	if grown > k/2*size {
		t.Fatalf("%d concurrent chunk requests of one requester, read slowly, hold %d MiB of heap (%.1f copies of the %d MiB chunk); "+
			"%d were served at once and none refused as busy: memory grows with the requests",
			k, grown>>20, float64(grown)/size, size>>20, len(open))
	}
}

// Requesters are bounded apart from the validators: however many requester
// accounts hold jobs of the agent, they take at most half the chunk
// transfers, and a validator's check still finds one free.
func TestAttackRequestersCannotTakeTheValidatorsChunkSlots(t *testing.T) {
	var x slots.Counter
	for i := 0; ; i++ {
		if !x.TryTake(fmt.Sprintf("requester%d", i/maxChunkTransfersPerSigner), chunkTransfersFor(false), maxChunkTransfersPerSigner) {
			if i != maxChunkTransfers/2 {
				t.Fatalf("requesters took %d transfers, at most %d allowed", i, maxChunkTransfers/2)
			}
			break
		}
	}
	if !x.TryTake("validator", chunkTransfersFor(true), maxChunkTransfersPerSigner) {
		t.Fatal("a validator refused while only requesters' transfers run")
	}
}
