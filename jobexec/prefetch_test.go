package jobexec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"google.golang.org/grpc"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// datasetsByID answers the dataset queries of several datasets.
type datasetsByID struct {
	datamarkettypes.QueryClient
	ds map[uint64]datamarkettypes.Dataset
}

func (f datasetsByID) Dataset(_ context.Context, in *datamarkettypes.QueryDatasetRequest, _ ...grpc.CallOption) (*datamarkettypes.QueryDatasetResponse, error) {
	d, ok := f.ds[in.Id]
	if !ok {
		return nil, errors.New("dataset not found")
	}
	return &datamarkettypes.QueryDatasetResponse{Dataset: d}, nil
}

// prefetchResolver is a provider's resolver with a disk cache of budget
// bytes (0: the default) over datasets.
func prefetchResolver(t *testing.T, budget int64, datasets ...datamarkettypes.Dataset) *ChainResolver {
	t.Helper()
	byID := map[uint64]datamarkettypes.Dataset{}
	for _, d := range datasets {
		byID[d.Id] = d
	}
	return NewChainResolver(ResolverConfig{
		Datasets: datasetsByID{ds: byID}, Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(t.TempDir(), "cache"), CacheBytes: budget, Fetch: FetchPolicy{AllowLocal: true},
	})
}

// servedDataset is testData's file served by a counting server that, while
// hold is open, waits before it answers.
func servedDataset(t *testing.T, hold <-chan struct{}) (datamarkettypes.Dataset, *workload.Matrix, *atomic.Int32) {
	t.Helper()
	return serveMatrix(t, hold, testData())
}

// serveMatrix is servedDataset with m's file.
func serveMatrix(t *testing.T, hold <-chan struct{}, m *workload.Matrix) (datamarkettypes.Dataset, *workload.Matrix, *atomic.Int32) {
	t.Helper()
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		_, _ = w.Write(npy)
	}))
	t.Cleanup(srv.Close)
	rec := record(t, npy, m, 6)
	rec.Uri = srv.URL
	return rec, m, &requests
}

// A prefetched dataset is on disk, not in memory, and its load reads it
// from there: no second request reaches its server.
func TestPrefetchDatasetLoadsFromDisk(t *testing.T) {
	rec, m, requests := servedDataset(t, nil)
	r := prefetchResolver(t, 0, rec)
	ctx := context.Background()
	release, err := r.PrefetchDataset(ctx, rec.Id, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, ok := r.datasets.Get(datasetKey{rec.Id, rec.Version}); ok {
		t.Error("the prefetch read the dataset into memory")
	}
	if used, _ := r.CacheUsage(); used != int64(m.Rows*m.Cols*4)+128 {
		t.Errorf("the cache counts %d bytes for a %d-byte file", used, m.Rows*m.Cols*4+128)
	}
	got, err := r.Dataset(ctx, rec.Id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != m.Rows || got.Cols != m.Cols || got.Data[7] != m.Data[7] {
		t.Errorf("loaded %d×%d, want %d×%d", got.Rows, got.Cols, m.Rows, m.Cols)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests reached the dataset server, want the prefetch's 1", n)
	}
}

// Jobs on one dataset prefetch it once: the second waits on the first's
// download.
func TestPrefetchDatasetOnceForConcurrentJobs(t *testing.T) {
	hold := make(chan struct{})
	rec, _, requests := servedDataset(t, hold)
	r := prefetchResolver(t, 0, rec)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := r.PrefetchDataset(context.Background(), rec.Id, 0)
			errs <- err
		}()
	}
	for wait := time.Now().Add(10 * time.Second); requests.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatal("no prefetch reached the server")
		}
	}
	time.Sleep(50 * time.Millisecond) // the second one, had it downloaded too
	close(hold)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("two prefetches of one file sent %d requests, want 1", n)
	}
}

// A prefetch its caller gave up on (the agent stopping) is not remembered
// as the server's failure: the next load downloads the file.
func TestPrefetchCanceledIsNotAServerFailure(t *testing.T) {
	hold := make(chan struct{})
	rec, _, _ := servedDataset(t, hold)
	r := prefetchResolver(t, 0, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := r.PrefetchDataset(ctx, rec.Id, 0); err == nil {
		t.Fatal("a prefetch past its deadline succeeded")
	}
	close(hold)
	if _, err := r.Dataset(context.Background(), rec.Id, 0); err != nil {
		t.Fatalf("the load after a canceled prefetch: %v", err)
	}
	if used, _ := r.CacheUsage(); used == 0 {
		t.Error("the load did not keep the file on disk")
	}
}

// TestAttackTricklingServersReserveTheCache: a dataset's record says how
// large its file is, and its owner's server decides how much of it to
// send. Had a prefetch reserved the recorded size, servers that answer
// and then trickle a few bytes of files recorded as large would hold the
// whole disk cache for the fetch policy's timeout, and every honest
// prefetch meanwhile would find no room. A prefetch holds room for the
// bytes it has received, a step ahead; the honest file is prefetched
// beside the trickling ones, and a failed prefetch leaves no room held
// and no file behind.
func TestAttackTricklingServersReserveTheCache(t *testing.T) {
	const attackers = 3
	sent := make(chan struct{}, attackers)
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 1024))
		w.(http.Flusher).Flush()
		sent <- struct{}{}
		<-r.Context().Done()
	}))
	defer trickle.Close()
	honest, _, _ := servedDataset(t, nil)
	honest.Id = attackers + 1
	recs := []datamarkettypes.Dataset{honest}
	for id := uint64(1); id <= attackers; id++ {
		recs = append(recs, datamarkettypes.Dataset{
			Id: id, Version: 1, Rows: 1 << 16, Cols: 74, RowsPerChunk: 1024, // 18.5 MiB of values recorded
			Sha256: workload.SHA256Hex([]byte{byte(id)}), ContentRoot: make([]byte, 32), Uri: trickle.URL,
		})
	}
	// Room for the three recorded files (18.5 MiB each and a header), not
	// for a fourth file beside them; room for three steps (16 MiB each)
	// and the honest file.
	budget := 3*DatasetFileBytes(recs[1]) + 2048
	r := prefetchResolver(t, budget, recs...)

	ctx, cancel := context.WithCancel(context.Background())
	stalled := make(chan error, attackers)
	for id := uint64(1); id <= attackers; id++ {
		go func() {
			_, err := r.PrefetchDataset(ctx, id, 0)
			stalled <- err
		}()
	}
	for range attackers {
		select {
		case <-sent:
		case <-time.After(10 * time.Second):
			t.Fatal("the trickling server was not reached")
		}
	}
	// Each trickled KiB written to its temporary file.
	for wait := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		tmps, _ := filepath.Glob(filepath.Join(r.cfg.CacheDir, "datasets", ".tmp-*"))
		written := 0
		for _, tmp := range tmps {
			if st, err := os.Stat(tmp); err == nil && st.Size() == 1024 {
				written++
			}
		}
		if written == attackers {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("%d of %d trickled prefetches wrote their KiB", written, attackers)
		}
	}
	if used, _ := r.CacheUsage(); used > attackers*prefetchStep {
		t.Errorf("%d trickling prefetches of 1 KiB each hold %d bytes of the cache, want at most %d", attackers, used, attackers*prefetchStep)
	}
	if _, err := r.PrefetchDataset(context.Background(), honest.Id, 0); err != nil {
		t.Errorf("the honest dataset was not prefetched beside %d trickling ones: %v", attackers, err)
	}
	cancel()
	for range attackers {
		if err := <-stalled; err == nil {
			t.Error("a trickled prefetch succeeded")
		}
	}
	used, _ := r.CacheUsage()
	if want := int64(honest.Rows*honest.Cols*4) + 128; used != want {
		t.Errorf("after the trickled prefetches failed the cache counts %d bytes, want the honest file's %d", used, want)
	}
	tmps, err := filepath.Glob(filepath.Join(r.cfg.CacheDir, "datasets", ".tmp-*"))
	if err != nil || len(tmps) != 0 {
		t.Errorf("temporary files left behind: %v %v", tmps, err)
	}
	if _, err := os.Stat(filepath.Join(r.cfg.CacheDir, datasetRel(honest.Sha256))); err != nil {
		t.Errorf("the honest file is not in the cache: %v", err)
	}
}

// TestAttackHeldPrefetchIsNotEvictedBeforeItsLoad: a job's dataset is on
// disk once prefetched, and its load, in a fetch slot, reads it there. Were
// the file evictable meanwhile, an attacker whose server sent the file
// whole to the prefetch could have other downloads evict it (the cache
// evicts the least recently used file) and trickle the second request, the
// load's, which downloads in its slot: the slot held again. A prefetched
// file is held until its job's load releases it; only then may it go.
func TestAttackHeldPrefetchIsNotEvictedBeforeItsLoad(t *testing.T) {
	a, _, requestsA := servedDataset(t, nil)
	mb := testData()
	mb.Data[0] = 42 // another file
	b, _, _ := serveMatrix(t, nil, mb)
	b.Id = 2
	// Room for one download (its expected size) and 101 bytes: not for a
	// second file beside the first.
	r := prefetchResolver(t, DatasetFileBytes(a)+101, a, b)
	ctx := context.Background()

	release, err := r.PrefetchDataset(ctx, a.Id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.PrefetchDataset(ctx, b.Id, 0); !errors.Is(err, ErrCacheFull) {
		t.Errorf("another download while the held file fills the cache: %v, want ErrCacheFull", err)
	}
	if _, err := r.Dataset(ctx, a.Id, 0); err != nil {
		t.Fatal(err)
	}
	if n := requestsA.Load(); n != 1 {
		t.Errorf("the held file's load sent %d requests in all, want the prefetch's 1: it was evicted before its load", n)
	}
	release()
	releaseB, err := r.PrefetchDataset(ctx, b.Id, 0)
	if err != nil {
		t.Fatalf("after the release: %v", err)
	}
	releaseB()
	if _, err := os.Stat(filepath.Join(r.cfg.CacheDir, datasetRel(a.Sha256))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the released file was not evicted for the next download: %v", err)
	}
}

// TestAttackLoadStoreDuringPrefetchUntracksTheFile: a prefetch reserves its
// file's path in the disk cache (reserve(rel, 0)) and grows that entry as
// bytes arrive. A load of the same version (DatasetFile: a validator's
// chunk request served by the chunk server, or a job whose prefetch fell
// back) that downloads and stores the file meanwhile replaces the entry
// with its own, written. The prefetch's next grow then finds the entry not
// being written, fails with ErrCacheFull, and its cleanup (dropped) deletes
// the entry of the file the load wrote: the file stays on disk, uncounted
// and never evicted. A dataset owner whose server answers the prefetch's
// request slowly and the load's at once repeats it per version: the disk
// holds more than its budget (and the prefetch reports a full cache that
// is not). Now a path has one writer at a time: the load's store skips a
// file a prefetch is writing, and a prefetch waits for a store under way.
func TestAttackLoadStoreDuringPrefetchUntracksTheFile(t *testing.T) {
	m := testData()
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int32
	headerSent := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 { // the prefetch: headers now, the body later
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			close(headerSent)
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		_, _ = w.Write(npy)
	}))
	defer srv.Close()
	rec := record(t, npy, m, 6)
	rec.Uri = srv.URL
	r := prefetchResolver(t, 0, rec)
	ctx := context.Background()

	done := make(chan error, 1)
	go func() {
		rel, err := r.PrefetchDataset(ctx, rec.Id, 0)
		if rel != nil {
			defer rel()
		}
		done <- err
	}()
	select {
	case <-headerSent:
	case <-time.After(10 * time.Second):
		t.Fatal("the prefetch did not reach the server")
	}
	// The load of the same version: downloads (the file is not on disk yet)
	// and stores it.
	if _, err := r.DatasetFile(ctx, rec.Id, 0); err != nil {
		t.Fatal(err)
	}
	close(release)
	perr := <-done
	t.Logf("prefetch: %v", perr)

	var onDisk int64
	entries, _ := os.ReadDir(filepath.Join(r.cfg.CacheDir, "datasets"))
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			onDisk += info.Size()
		}
	}
	used, _ := r.CacheUsage()
	if used != onDisk {
		t.Errorf("the disk cache counts %d bytes, its folder holds %d: the file is on disk uncounted (never evicted, outside the budget)", used, onDisk)
	}
	if perr != nil {
		t.Errorf("the prefetch failed (%v) though the cache had room and the file was served whole", perr)
	}
}

// failingWriter fails every write with err (a full disk).
type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

// TestAttackDiskWriteErrorIsRememberedAsTheServers: before prefetching, a
// load read the dataset into memory and its store to disk was best effort.
// A prefetch writes through the disk, and a local write error (ENOSPC on a
// disk the outputs share) fails inside the download: had downloadTo
// remembered it as the dataset server's failure (failures, FailureTTL),
// the job's retry and its load would fail at once without asking the
// server, and past half the window the agent would abort claiming an
// honest dataset unavailable, which the validators refute: the collateral
// forfeited. A write's failure is this host's (ErrLocalWrite), never
// remembered against the server.
func TestAttackDiskWriteErrorIsRememberedAsTheServers(t *testing.T) {
	rec, _, requests := servedDataset(t, nil)
	r := prefetchResolver(t, 0, rec)
	ctx := context.Background()
	err := r.downloadTo(ctx, rec, failingWriter{syscall.ENOSPC})
	if !errors.Is(err, ErrLocalWrite) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("a download whose write failed: %v, want ErrLocalWrite and the write's error", err)
	}
	before := requests.Load()
	if _, err := r.Dataset(ctx, rec.Id, 0); err != nil {
		t.Errorf("the load after a local write error: %v", err)
	}
	if n := requests.Load(); n != before+1 {
		t.Errorf("the load sent %d requests, want 1: the server's earlier answer was fine", n-before)
	}
}
