package provider

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/aichain/aichain/jobexec"
)

// A tree rebuilt from a damaged leaves file (a bit flipped on disk) gave
// proofs of another root, which every validator sampling the job would
// judge false, and the requester could not download the result it paid
// for. The rebuild now checks the root the agent committed to, and
// rebuilds from the chunks themselves (keeping their leaf hashes again);
// chunks that give another root are ErrTreeRoot, not proofs.
func TestDamagedLeavesFileServesProofsOfAnotherRoot(t *testing.T) {
	const count, size = 64, 1 << 10
	chunks := make([][]byte, count)
	for i := range chunks {
		chunks[i] = bytes.Repeat([]byte{byte(i), 7}, size/2)
	}
	dir := t.TempDir()
	s := NewChunkStore(dir, 1<<20)
	tree, err := s.Put(5, chunks)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	flip := func(path string, at int64) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[at] ^= 1
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	flip(s.leavesPath(5), 32*10+3) // chunk 10's leaf hash
	for range 2 {                  // after a restart, then from the leaves written again
		got, err := NewChunkStore(dir, 1<<20).Tree(5, count, size, root[:])
		if err != nil || got.Root() != root {
			t.Fatalf("rebuilt from a damaged leaves file: %v (the committed root: %v)", err, err == nil && got.Root() == root)
		}
	}
	flip(s.path(5), 10*size+1) // the chunk itself, its leaves file gone
	if err := os.Remove(s.leavesPath(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewChunkStore(dir, 1<<20).Tree(5, count, size, root[:]); !errors.Is(err, ErrTreeRoot) {
		t.Fatalf("chunks that hash to another root: %v, want ErrTreeRoot", err)
	}
}

// A chunk whose bytes are damaged on disk, its leaves file intact, was
// served with the proof of the leaf it no longer is: every sampling
// validator and the requester got bytes they must refuse, and nothing told
// the operator. Each served chunk is now hashed against its leaf first: a
// damaged one is refused (500) and counted (chunks_damaged_total); the
// others are still served.
func TestDamagedChunkIsRefusedNotServedWithAProof(t *testing.T) {
	chunks := gemmChunks()
	s := newServed(t, 9, chunks, Config{}, Record{})
	path := s.a.chunks.path(9)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(chunks[0])+2] ^= 1 // a bit of chunk 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	status, body := s.get(t, s.validator, s.url, "/v1/jobs/9/chunks/1")
	if status != http.StatusInternalServerError {
		var cr jobexec.ChunkResponse
		verr := json.Unmarshal(body, &cr)
		if verr == nil {
			verr = cr.Verify(s.root, 3, 1)
		}
		t.Fatalf("a chunk damaged on disk: status %d, want 500 (its proof against the committed root: %v)", status, verr)
	}
	if bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(b[len(chunks[0]):2*len(chunks[0])]))) {
		t.Fatal("the damaged bytes were sent with the refusal")
	}
	var m dto.Metric
	if err := s.a.metrics.ChunksDamaged.Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 1 {
		t.Fatalf("chunks_damaged_total %v, want 1", got)
	}
	for _, i := range []uint64{0, 2} {
		status, body := s.get(t, s.validator, s.url, fmt.Sprintf("/v1/jobs/9/chunks/%d", i))
		var cr jobexec.ChunkResponse
		if status != http.StatusOK || json.Unmarshal(body, &cr) != nil || cr.Verify(s.root, 3, i) != nil || !bytes.Equal(cr.Data, chunks[i]) {
			t.Fatalf("intact chunk %d beside the damaged one: status %d: %s", i, status, body)
		}
	}
}
