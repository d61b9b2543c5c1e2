package provider

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/procio"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackValidatorCyclesFiveDatasetVersionsToReloadEach: the fix of
// TestAttackValidatorRequestsReloadTheDataset keeps dataset versions in
// memory by (id, version), at most datasetsInMemory (4), least recently
// used out first. A provider holding mlp jobs on one more version than that
// (five jobs under verification: an ordinary load for a busy provider, or
// a dataset owner publishing versions) is back where it was: one validator
// asking for one chunk of each job in turn misses the cache at every
// request, and each signed request reads the whole dataset file (up to
// 1 GiB), hashes it and rebuilds its Merkle tree, while the honest
// validators' chunk requests wait on the same disk and CPU.
func TestAttackValidatorCyclesFiveDatasetVersionsToReloadEach(t *testing.T) {
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, "datasets"), 0o755); err != nil {
		t.Fatal(err)
	}
	const rows, cols, perChunk, versions = 16384, 16, 1024, 5 // 1 MiB each
	market := &fakeMarket{versions: map[uint64]datamarkettypes.Dataset{}}
	size := 0
	for v := uint64(1); v <= versions; v++ {
		m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
		for i := range m.Data {
			m.Data[i] = float32(i%977) + float32(v)
		}
		npy, err := workload.EncodeNPY(m)
		if err != nil {
			t.Fatal(err)
		}
		size = len(npy)
		root, _, err := dataset.Root(m, perChunk)
		if err != nil {
			t.Fatal(err)
		}
		sha := workload.SHA256Hex(npy)
		if err := os.WriteFile(filepath.Join(cache, "datasets", sha+".npy"), npy, 0o644); err != nil {
			t.Fatal(err)
		}
		rec := datamarkettypes.Dataset{Id: 5, Version: v, Rows: rows, Cols: cols, RowsPerChunk: perChunk, ContentRoot: root[:], Sha256: sha}
		market.versions[v] = rec
		market.cur = rec
	}
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{Datasets: market, CacheDir: cache})
	s := newServed(t, 11, gemmChunks(), Config{MLP: resolver}, Record{Kind: workload.KindMLP, DatasetID: 5, DatasetVersion: 1, ChunkRows: perChunk})
	for v := uint64(2); v <= versions; v++ {
		id := 10 + v
		if _, err := s.a.chunks.Put(id, gemmChunks()); err != nil {
			t.Fatal(err)
		}
		s.a.auth.addJob(&Record{ID: id, Requester: s.requester.Address(), Phase: PhaseExecuted, Kind: workload.KindMLP,
			DatasetID: 5, DatasetVersion: v, ChunkRows: perChunk, ChunkCount: 3, ChunkBytes: uint64(len(gemmChunks()[0]))})
	}

	const n = 20
	before := procio.ReadBytes(t)
	for i := 0; i < n; i++ {
		job := 11 + i%versions
		status, body := s.get(t, s.validator, s.url, "/v1/jobs/"+strconv.Itoa(job)+"/chunks/0")
		if status != http.StatusOK {
			t.Fatalf("job %d: status %d %s", job, status, body)
		}
	}
	read := procio.ReadBytes(t) - before
	if read > 2*versions*int64(size) {
		t.Fatalf("%d validator chunk requests over %d held jobs' dataset versions read %.1f dataset files (%d MiB): "+
			"every request reloaded its version (memory keeps %d); each version should be read about once",
			n, versions, float64(read)/float64(size), read>>20, 4)
	}
}
