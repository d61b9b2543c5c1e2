package jobexec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// weightsServer serves weights files by path after delay (so that
// concurrent loads overlap), and counts the requests.
func weightsServer(t *testing.T, files map[string][]byte, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(delay)
		_, _ = w.Write(files[r.URL.Path])
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// squareModel is a one-layer n→n mlp whose weights are seeded by seed: a
// file of about 4·n² bytes.
func squareModel(t *testing.T, n int, seed float32) ([]byte, *workload.Model) {
	t.Helper()
	w := make([]float32, n*n)
	for i := range w {
		w[i] = seed + float32(i%13)*0.01
	}
	m := &workload.Model{Layers: []workload.Layer{{In: n, Out: n, Weight: w}}}
	file, err := workload.EncodeSafetensors(m)
	if err != nil {
		t.Fatal(err)
	}
	return file, m
}

// TestAttackOneFileUnderManyModelIdsIsHeldOnce: a provider sizes every open
// mlp or gpt job by loading its model before it decides to bid. A hostile
// model owner registered one weights file under 64 ids (gas only) and
// posted cheap jobs on them that the provider would never win; the resolver
// cached parsed models by id for ever, so the agent fetched, parsed and held
// the same file 64 times (a 1 GiB file: 64 GiB, the agent OOM-killed and
// every job it had won timed out, its collateral lost). Now parsed models
// are keyed by the file's sha256, concurrent loads of one file share one
// fetch, and every id's own record is still checked against the weights:
// one fetch, one copy held.
func TestAttackOneFileUnderManyModelIdsIsHeldOnce(t *testing.T) {
	file, _ := squareModel(t, 256, 0.5) // 256 KiB
	srv, hits := weightsServer(t, map[string][]byte{"/m.safetensors": file}, 100*time.Millisecond)
	recs := map[uint64]modelregistrytypes.Model{}
	const ids = 64
	for id := uint64(1); id <= ids; id++ {
		recs[id] = modelregistrytypes.Model{Id: id, Sha256: workload.SHA256Hex(file), Uri: srv.URL + "/m.safetensors", InputDim: 256, OutputDim: 256}
	}
	bad := recs[1]
	bad.Id, bad.InputDim = ids+1, 3 // the same file under a record of another shape
	recs[bad.Id] = bad
	r := NewChainResolver(ResolverConfig{Models: modelreg.Records{ByID: recs}, Fetch: FetchPolicy{AllowLocal: true}})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = r.Model(ctx, uint64(i+1))
		}()
	}
	wg.Wait()
	for id := uint64(17); id <= ids; id++ {
		if _, err := r.Model(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("the file was fetched %d times for %d ids that register it", n, ids)
	}
	if n, bytes := r.models.Usage(); n != 1 || bytes != int64(len(file)) {
		t.Fatalf("the resolver holds %d parsed models (%d bytes) of one %d-byte file", n, bytes, len(file))
	}
	if _, err := r.Model(ctx, bad.Id); err == nil {
		t.Fatal("a cached file was used under a record of another shape")
	}
}

// TestAttackParsedModelsStayWithinTheBudget: the same owner registers
// distinct files (a byte changed each) instead. The parsed models in memory
// stay within ResolverConfig.ModelMemoryBytes and modelsInMemory, least
// recently used out first, and an evicted model is fetched again when a job
// needs it.
func TestAttackParsedModelsStayWithinTheBudget(t *testing.T) {
	files, recs := map[string][]byte{}, map[uint64]modelregistrytypes.Model{}
	const ids = 40
	for id := uint64(1); id <= ids; id++ {
		file, _ := squareModel(t, 64, float32(id)) // 16 KiB each
		path := "/" + workload.SHA256Hex(file)
		files[path] = file
		recs[id] = modelregistrytypes.Model{Id: id, Sha256: workload.SHA256Hex(file), InputDim: 64, OutputDim: 64}
	}
	srv, hits := weightsServer(t, files, 0)
	for id, rec := range recs {
		rec.Uri = srv.URL + "/" + rec.Sha256
		recs[id] = rec
	}
	size := int64(len(files["/"+recs[1].Sha256]))
	ctx := context.Background()
	for _, c := range []struct {
		budget   int64
		maxCount int
	}{{budget: 3 * size, maxCount: 3}, {budget: 1 << 30, maxCount: modelsInMemory}} {
		hits.Store(0)
		r := NewChainResolver(ResolverConfig{Models: modelreg.Records{ByID: recs}, Fetch: FetchPolicy{AllowLocal: true}, ModelMemoryBytes: c.budget})
		for id := uint64(1); id <= ids; id++ {
			if _, err := r.Model(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		n, bytes := r.models.Usage()
		if n > c.maxCount || bytes > c.budget {
			t.Fatalf("budget %d: %d parsed models (%d bytes) held after %d distinct files", c.budget, n, bytes, ids)
		}
		if _, err := r.Model(ctx, ids); err != nil || hits.Load() != ids {
			t.Fatalf("the most recent model was not kept: %d fetches, %v", hits.Load(), err)
		}
		if _, err := r.Model(ctx, 1); err != nil || hits.Load() != ids+1 {
			t.Fatalf("an evicted model is not fetched again: %d fetches, %v", hits.Load(), err)
		}
	}
}

// TestAttackOversizedDatasetIsNotDownloaded: a dataset owner lists a
// version larger than the provider's parser takes (x/datamarket admits up
// to 2^31 values, the parser 1 GiB files by default). The provider, once it
// won a job on it, downloaded the whole file on every retry, held it in
// memory and failed to parse it. Now the resolver refuses the version from
// its on-chain shape before any byte is read.
func TestAttackOversizedDatasetIsNotDownloaded(t *testing.T) {
	m := &workload.Matrix{Rows: 1024, Cols: 512, Data: make([]float32, 1024*512)} // 2 MiB
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n, _ := w.Write(npy)
		served.Add(int64(n))
	}))
	defer srv.Close()
	rec := record(t, npy, m, 64)
	rec.Uri = srv.URL
	lim := workload.Limits{MaxFileBytes: 2 << 20} // values and the largest header the parser takes: under 2 MiB
	r := NewChainResolver(ResolverConfig{
		Datasets: fakeDatasets{ds: rec}, Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(t.TempDir(), "cache"), Fetch: FetchPolicy{AllowLocal: true}, Limits: lim,
	})
	if _, err := r.Dataset(context.Background(), 1, 0); !errors.Is(err, workload.ErrTooLarge) {
		t.Fatalf("a dataset over the parser's limit: %v", err)
	}
	if n := served.Load(); n != 0 {
		t.Fatalf("%d bytes of a dataset the parser refuses were downloaded", n)
	}
	if got, want := r.MaxInputBytes(), uint64(2<<20-workload.MaxNPYPrefixBytes); got != want {
		t.Fatalf("MaxInputBytes %d, want %d", got, want)
	}
}
