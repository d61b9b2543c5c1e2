package provider

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/procio"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// fakeMarket is the chain's datamarket queries: one dataset, two versions.
type fakeMarket struct {
	datamarkettypes.QueryClient
	cur      datamarkettypes.Dataset
	versions map[uint64]datamarkettypes.Dataset
	calls    atomic.Int64
}

func (f *fakeMarket) Dataset(context.Context, *datamarkettypes.QueryDatasetRequest, ...grpc.CallOption) (*datamarkettypes.QueryDatasetResponse, error) {
	f.calls.Add(1)
	return &datamarkettypes.QueryDatasetResponse{Dataset: f.cur}, nil
}

func (f *fakeMarket) DatasetVersion(_ context.Context, in *datamarkettypes.QueryDatasetVersionRequest, _ ...grpc.CallOption) (*datamarkettypes.QueryDatasetVersionResponse, error) {
	f.calls.Add(1)
	d := f.versions[in.Version]
	return &datamarkettypes.QueryDatasetVersionResponse{DatasetVersion: datamarkettypes.DatasetVersion{
		DatasetId: d.Id, Version: d.Version, Rows: d.Rows, Cols: d.Cols, RowsPerChunk: d.RowsPerChunk,
		ContentRoot: d.ContentRoot, Sha256: d.Sha256, Uri: d.Uri}}, nil
}

// TestAttackValidatorRequestsReloadTheDataset: the provider holds two mlp
// jobs over two versions of one dataset (a dataset its owner updated).
// Every chunk request of a validator for one job, after one for the other,
// made the agent query the chain, read the whole dataset file again, hash
// it and rebuild its Merkle tree (the resolver kept one version per dataset
// id): a validator alternating its requests turned each signed request into
// a full dataset load (up to 1 GiB of memory and CPU each). Now versions
// are kept by (id, version) and found in memory before the chain is asked:
// 20 requests read each version once and query the chain once per version.
func TestAttackValidatorRequestsReloadTheDataset(t *testing.T) {
	const rows, cols, perChunk = 65536, 16, 1024 // 4 MiB each
	market, size, s := servedVersions(t, rows, cols, perChunk, 2)

	const n = 20
	before, calls := procio.ReadBytes(t), market.calls.Load()
	for i := 0; i < n; i++ {
		job := 11 + i%2
		status, body := s.get(t, s.validator, s.url, "/v1/jobs/"+strconv.Itoa(job)+"/chunks/0")
		if status != http.StatusOK {
			t.Fatalf("job %d: status %d %s", job, status, body)
		}
	}
	read := procio.ReadBytes(t) - before
	t.Logf("%d validator chunk requests: %d chain queries, %d MiB read (each dataset version %d MiB)",
		n, market.calls.Load()-calls, read>>20, size>>20)
	if read > 4*int64(size) {
		t.Errorf("%d chunk requests read %.1f dataset files: every request reloaded its dataset", n, float64(read)/float64(size))
	}
	// Version 1 is not the current one: its record is two queries, version 2's one.
	if q := market.calls.Load() - calls; q > 3 {
		t.Errorf("%d chunk requests made %d chain queries, want at most 3", n, q)
	}
}

// TestAttackConcurrentMissesRebuildTheTreeOnce: after a restart no job's
// tree is in memory. Every chunk request that missed rebuilt the tree from
// the job's file, opening it once per chunk, all at once: 16 concurrent
// requests (the requester's, or the validators' of a sampled job) read the
// output 16 times. Concurrent misses now share one rebuild, which reads the
// file once.
func TestAttackConcurrentMissesRebuildTheTreeOnce(t *testing.T) {
	const count, size = 256, 16 << 10
	chunks := make([][]byte, count)
	for i := range chunks {
		chunks[i] = bytes.Repeat([]byte{byte(i)}, size)
	}
	dir := t.TempDir()
	tree, err := NewChunkStore(dir, 1<<20).Put(3, chunks)
	if err != nil {
		t.Fatal(err)
	}
	s := NewChunkStore(dir, 1<<20) // as after a restart
	root := tree.Root()
	before := procio.ReadBytes(t)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.Tree(3, count, size, root[:])
			if err != nil || got.Root() != tree.Root() {
				t.Errorf("rebuilt tree: %v", err)
			}
		}()
	}
	wg.Wait()
	read := procio.ReadBytes(t) - before
	t.Logf("16 concurrent misses read %d KiB of a %d KiB output", read>>10, count*size>>10)
	if read > 2*count*size {
		t.Errorf("16 concurrent misses read the job's output %.1f times", float64(read)/(count*size))
	}
	// A file cut short is an error, not a tree.
	if err := os.Truncate(s.path(3), count*size-size-1); err != nil {
		t.Fatal(err)
	}
	if _, err := NewChunkStore(dir, 1<<20).Tree(3, count, size, root[:]); err == nil {
		t.Fatal("a truncated output rebuilt into a tree")
	}
}

// servedVersions writes versions of dataset 5 (rows×cols, perChunk rows a
// chunk) into a resolver's disk cache, as a provider holds them after
// executing its jobs, and serves a provider holding job 10+v (job 11 for
// version 1) on each version v: the market that records them, each file's
// size, and the served provider.
func servedVersions(t *testing.T, rows, cols, perChunk int, versions uint64) (*fakeMarket, int, *served) {
	t.Helper()
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, "datasets"), 0o755); err != nil {
		t.Fatal(err)
	}
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
		rec := datamarkettypes.Dataset{Id: 5, Version: v, Rows: uint64(rows), Cols: uint64(cols), RowsPerChunk: uint64(perChunk), ContentRoot: root[:], Sha256: sha}
		market.versions[v] = rec
		market.cur = rec
	}
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{Datasets: market, CacheDir: cache})
	s := newServed(t, 11, gemmChunks(), Config{MLP: resolver}, Record{Kind: workload.KindMLP, DatasetID: 5, DatasetVersion: 1, ChunkRows: uint64(perChunk)})
	for v := uint64(2); v <= versions; v++ {
		id := 10 + v
		if _, err := s.a.chunks.Put(id, gemmChunks()); err != nil {
			t.Fatal(err)
		}
		s.a.auth.addJob(&Record{ID: id, Requester: s.requester.Address(), Phase: PhaseExecuted, Kind: workload.KindMLP,
			DatasetID: 5, DatasetVersion: v, ChunkRows: uint64(perChunk), ChunkCount: 3, ChunkBytes: uint64(len(gemmChunks()[0]))})
	}
	return market, size, s
}
