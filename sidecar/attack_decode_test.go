package sidecar

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackChunkResponseDecodeAmplifiesMemory: hostile party: a provider
// answering a validator's signed chunk request. fetchOnce bounds the bytes
// it reads of a chunk response (2 × the chain's max_chunk_bytes + 64 KiB)
// but decodes them with encoding/json into a ChunkResponse with no bound on
// what the decoded value holds, and checks only len(Data) afterwards. A
// JSON array of tiny elements decodes into far larger Go values: each "{}"
// (3 bytes with its comma) of "inputs" is a 56-byte merkle.Chunk, each ""
// of "proof" a 16-byte string header, each 0 of "inputs" a zeroed
// merkle.Chunk appended before the type error, and the slice grows by
// copies. Measured here at 1 MiB chunks: a 2 MiB response makes the sidecar
// allocate over 100× its size; at the default 4 MiB chunks an 8 MiB response
// allocated about 1 GiB (950 MiB of "{}", 1.5 GiB of "0"), and at the
// largest max_chunk_bytes governance may set (64 MiB, a 128 MiB response)
// one fetch holds several GiB live, FetchRetries times a poll, on each of
// the workers: "every fetch is bounded in size" bounds the wire, not the
// memory.
//
// Correct behaviour: what a response may make the sidecar allocate is
// bounded by a small multiple of the bytes it reads (the test takes 16×:
// an honest response, base64 data and hex proofs, costs a few times its
// size), e.g. by bounding the number of inputs and proof siblings before
// decoding them (a streaming decoder, or counts checked against the
// chain's shape).
func TestAttackChunkResponseDecodeAmplifiesMemory(t *testing.T) {
	v := newVerifier(nil)
	pv := computetypes.PendingVerification{JobId: 1, MaxChunkBytes: 1 << 20}
	limit := v.chunkLimit(pv)
	read := 2*limit + 64<<10 // what fetchOnce reads at most

	for _, c := range []struct{ what, field, unit string }{
		{"empty input chunks", "inputs", "{},"},
		{"empty proof siblings", "proof", `"",`},
		{"numbers as input chunks", "inputs", "0,"},
	} {
		var body bytes.Buffer
		body.WriteString(`{"index":0,"` + c.field + `":[`)
		for int64(body.Len()) < read-16 {
			body.WriteString(c.unit)
		}
		body.Truncate(body.Len() - 1)
		body.WriteString("]}")
		payload := body.Bytes()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(payload) }))

		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		// No bound from the job's shape on the inputs (the loosest a caller
		// may pass): what the response's own bytes hold bounds them.
		want := chunkWant{bytes: limit, inputs: math.MaxUint64}
		resp, err := v.fetchOnce(context.Background(), srv.URL, srv.URL+"/v1/jobs/1/chunks/0", want)
		runtime.ReadMemStats(&after)
		srv.Close()
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: %d bytes read, %d allocated (%.1f×): %v", c.what, len(payload), alloc, float64(alloc)/float64(len(payload)), err)
		if alloc > 16*uint64(len(payload)) {
			t.Errorf("%s: a %d-byte response (max_chunk_bytes %d) made the sidecar allocate %d MiB, %.0f× its size "+
				"(%d inputs, %d proof siblings decoded; err %v)",
				c.what, len(payload), limit, alloc>>20, float64(alloc)/float64(len(payload)), len(resp.Inputs), len(resp.Proof), err)
		}
	}
}
