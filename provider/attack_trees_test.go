package provider

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"

	"github.com/aichain/aichain/testutil/procio"
)

// TestAttackValidatorCyclesJobsToRereadOutputs: the agent keeps at most
// 256 Merkle trees in memory (maxTreesInMemory, within the bytes
// TreeMemoryBytes gives them) and holds every job's chunks for --retention (24 h): a busy
// provider holds more jobs than that (the bench runs 500 in 36 s). A tree
// not in memory is rebuilt by reading and hashing the job's whole output
// file. A hostile bonded validator (or the operator key of one) asks for
// chunk 0 of each of 257 held jobs in turn: every request misses the
// least-recently-used cache and reads the whole output of its job to serve
// one chunk — up to --max-output-bytes (4 GiB) per signed request, two at
// once per signer, taking the 2 rebuild slots the honest validators' checks
// need. The trees are not kept on disk, nor is a miss bounded per signer.
func TestAttackValidatorCyclesJobsToRereadOutputs(t *testing.T) {
	const jobs, count, size = 257, 64, 1 << 10 // 64 KiB of output per job, 1 KiB chunks
	chunks := make([][]byte, count)
	for i := range chunks {
		chunks[i] = bytes.Repeat([]byte{byte(i)}, size)
	}
	sv := newServed(t, 1000, gemmChunks(), Config{}, Record{})
	sv.a.chunks = NewChunkStore(t.TempDir(), TreeMemoryBytes(8<<30)) // as the command makes it on a 16 GiB host
	for id := uint64(1); id <= jobs; id++ {
		if _, err := sv.a.chunks.Put(id, chunks); err != nil {
			t.Fatal(err)
		}
		sv.a.auth.addJob(&Record{ID: id, Requester: sv.requester.Address(), Phase: PhaseExecuted, ChunkCount: count, ChunkBytes: size})
	}
	get := func(id uint64) {
		status, body := sv.get(t, sv.validator, sv.url, "/v1/jobs/"+strconv.FormatUint(id, 10)+"/chunks/0")
		if status != http.StatusOK {
			t.Fatalf("job %d chunk 0: %d %s", id, status, body)
		}
	}
	before := procio.ReadBytes(t)
	const passes = 2
	for range passes {
		for id := uint64(1); id <= jobs; id++ {
			get(id)
		}
	}
	read := procio.ReadBytes(t) - before
	requests := int64(passes * jobs)
	perRequest := read / requests
	t.Logf("%d validator requests for one %d-byte chunk each read %d KiB (%d bytes a request; a job's output is %d KiB)",
		requests, size, read>>10, perRequest, count*size>>10)
	// A chunk response is its 1 KiB chunk (≈1.4 KiB as base64) and a proof
	// of 6 siblings; 16 KiB a request leaves room for the HTTP exchange.
	if perRequest > 16<<10 {
		t.Fatalf("each chunk request read %.1f× its job's whole output (%d bytes a request for a %d-byte chunk): "+
			"a validator cycling %d held jobs turns every request into a full rebuild of its tree",
			float64(perRequest)/float64(count*size), perRequest, size, jobs)
	}
}
