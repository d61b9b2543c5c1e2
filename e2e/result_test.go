package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// The requester downloads a 32-chunk result with `aichaind q compute
// result`: every chunk's proof is checked against the on-chain root and the
// file is the NumPy matrix the workload defines. An interrupted download
// resumes where it stopped; a part file tampered with is caught by the
// whole-file check; another account is refused by the provider and gets no
// file.
func TestRequesterDownloadsVerifiedResult(t *testing.T) {
	parallel(t) // a chain of its own on free ports; runs beside the others
	c := newComputeChain(t)
	dir := t.TempDir()
	port := c.Nodes[0].SparePort(1)
	c.StartProvider(t, dir, "provider", port, "1000uaic")
	ids := c.postJobs(t, "alice", jobBatch{N: 1, M: 256, Ncols: 24, K: 16, ChunkRows: 8, MaxPrice: "5000uaic",
		Commit: 6, Reveal: 6, Exec: 60}) // windows of 6 blocks, as createGemmJob's: the agent starts just before
	id := fmt.Sprint(ids[0])
	c.waitJobState(t, id, 120*time.Second, "JOB_STATE_SUBMITTED", "JOB_STATE_SETTLED")

	want := gemmNPY(t, 256, 24, 16, 1, 8)
	out := filepath.Join(dir, "result.npy")
	result := func(key string) (string, string, error) {
		return c.CLIErr("q", "compute", "result", id, "--from", key, "--keyring-backend", "test", "--output", out)
	}
	stdout, stderr, err := result("alice")
	got, rerr := os.ReadFile(out)
	if err != nil || rerr != nil || !bytes.Equal(got, want) {
		t.Fatalf("download: %v %v (%d bytes, want %d)\n%s\n%s", err, rerr, len(got), len(want), stdout, stderr)
	}
	if !strings.Contains(stderr, "32/32 chunks") {
		t.Fatalf("no progress shown: %s", stderr)
	}

	// Interrupted after 10 chunks: the part file and its state, as the
	// command leaves them; the next run fetches only the rest.
	hdr := len(want) - 256*24*4
	q := computetypes.NewQueryClient(c.Client(t, "").Conn)
	root := jobStates(t, q, ids)[ids[0]].Result.OutputRoot
	writePart := func(upTo int) {
		if err := os.WriteFile(out+".part", want[:hdr+upTo*8*24*4], 0o644); err != nil {
			t.Fatal(err)
		}
		st, _ := json.Marshal(map[string]any{"job_id": ids[0], "output_root": hex.EncodeToString(root), "cols": 24, "chunks_done": upTo})
		if err := os.WriteFile(out+".part.json", st, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	writePart(10)
	_, stderr, err = result("alice")
	got, _ = os.ReadFile(out)
	if err != nil || !strings.Contains(stderr, "resuming job "+id+" at chunk 10 of 32") || !bytes.Equal(got, want) {
		t.Fatalf("resume: %v\n%s", err, stderr)
	}
	// A part file whose kept chunks were altered never becomes the output.
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	writePart(10)
	part, _ := os.ReadFile(out + ".part")
	part[hdr+5] ^= 1
	if err := os.WriteFile(out+".part", part, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := result("alice"); err == nil || !strings.Contains(stderr, "does not hash to the on-chain root") {
		t.Fatalf("tampered part file: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a tampered download became the output")
	}

	// bob is not the requester: refused, no file.
	if _, stderr, err := result("bob"); err == nil || !strings.Contains(stderr, "403") {
		t.Fatalf("bob's download: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a refused download wrote a file")
	}
}

// gemmNPY is the .npy of a gemm job's output, computed here.
func gemmNPY(t *testing.T, m, n, k, seed, chunkRows uint64) []byte {
	t.Helper()
	spec := computetypes.WorkloadSpec{Kind: "gemm-f32", Gemm: &computetypes.GemmSpec{M: m, N: n, K: k, Seed: seed}, ChunkRows: chunkRows}
	job, err := jobexec.FromSpec(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := workload.ComputeChunks(context.Background(), job, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	mat := &workload.Matrix{Rows: int(m), Cols: int(n)}
	for _, ch := range chunks {
		v, _, err := workload.DecodeChunkRows(ch, int(n))
		if err != nil {
			t.Fatal(err)
		}
		mat.Data = append(mat.Data, v...)
	}
	npy, err := workload.EncodeNPY(mat)
	if err != nil {
		t.Fatal(err)
	}
	return npy
}
