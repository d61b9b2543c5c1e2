package provider

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestWonDatasetLargerThanTheRoomIsNotBidOn (found by review): a won
// job's dataset is only ever loaded from the disk cache (PrefetchDataset; a download that finds no room waits 2 minutes,
// then the inputs fail, are retried every 3 blocks and the job is aborted
// past half its window). Before, a dataset the cache had no room for was
// loaded into memory and the job ran. Nothing at bid time counts the
// job's dataset against the cache: an honest job whose dataset is larger
// than half the cache, on a model whose weights the agent keeps for it
// (PinModel, at most half), is bid on, and won, its download never finds
// room while the job is held, its own weights being kept: the agent
// aborts it and the validators, who find the inputs available, forfeit
// its collateral. Correct: a job the agent bids on can have its dataset
// loaded once won (or it is not bid on: "disk", admitDatasetRoom).
func TestWonDatasetLargerThanTheRoomIsNotBidOn(t *testing.T) {
	const rows, cols, perChunk = 1024, 2, 64 // 8 KiB of values a version
	market := &fakeMarket{versions: map[uint64]datamarkettypes.Dataset{}}
	files := map[uint64][]byte{}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/datasets/5", func(w http.ResponseWriter, r *http.Request) {
		v, _ := strconv.ParseUint(r.URL.Query().Get("version"), 10, 64)
		_, _ = w.Write(files[v])
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	var size int64
	for v := uint64(1); v <= 1; v++ {
		m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
		for i := range m.Data {
			m.Data[i] = float32(i%7) + float32(v)
		}
		npy, err := workload.EncodeNPY(m)
		if err != nil {
			t.Fatal(err)
		}
		files[v], size = npy, int64(len(npy))
		root, _, err := dataset.Root(m, perChunk)
		if err != nil {
			t.Fatal(err)
		}
		rec := datamarkettypes.Dataset{Id: 5, Version: v, Rows: rows, Cols: cols, RowsPerChunk: perChunk,
			ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Uri: srv.URL, Format: "npy-f32"}
		market.versions[v] = rec
		market.cur = rec
	}
	models, modelSize := distinctMLPModels(t, 1)
	// The dataset is larger than half the cache, the weights at most half:
	// not both at once.
	budget := size + modelSize/2
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Records{ByID: models}, Datasets: market,
		Signer:   signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(t.TempDir(), "cache"), CacheBytes: budget,
		Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second},
	})
	a := diskAgent(t, resolver, servedEverywhere{resolver})
	ctx := context.Background()

	// The honest job, over version 1, on a model whose weights the sizing
	// fetched.
	if _, err := resolver.Model(ctx, 1); err != nil {
		t.Fatal(err)
	}
	j := mlpJobOn(20, 1, 5, 105)
	j.DatasetVersion, j.Rows, j.Workload.ChunkRows, j.ExpectedChunkCount = 1, rows, perChunk, rows/perChunk
	why := decideWhy(ctx, a, j)
	if why != "" {
		t.Logf("job 20 not bid on: %q (the agent declines what it could not load: fine)", why)
		return
	}
	a.keepModels()
	a.keepDatasets(ctx)
	release, err := resolver.PrefetchDataset(ctx, 5, 1)
	if err != nil {
		used, b := resolver.CacheUsage()
		t.Fatalf("the agent bid on job 20 and, won, its dataset (%d bytes) cannot be downloaded: %v (cache %d of %d bytes, "+
			"its kept weights %d bytes): its inputs fail while it is held and the agent aborts it, forfeiting the collateral; before, it was loaded into memory", size, err, used, b, modelSize)
	}
	release()
}
