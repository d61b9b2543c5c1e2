package provider

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestAttackDatasetOwnerTakesRowsDownAfterExecution: a requester who owns
// the job's dataset (or colludes with its owner) lets the winner download
// the rows, and takes its server down once the job has executed. The
// validators' sidecars check an mlp chunk against the input rows the
// provider serves with it, so the provider must still hold them through
// the verification. It holds them only by chance: the resolver keeps 4
// dataset versions in memory (other jobs' versions push this one out) and
// the disk cache keeps only the models of held jobs (KeepModels), so the
// same cheap flood of jobs on distinct models that the provider sizes
// evicts the dataset file. Every validator's chunk request is then answered
// 503 ("cannot load the job's dataset"), the validators vote UNAVAILABLE
// across the span, and the honest provider forfeits the job's collateral to
// the requester who took the rows down. The weights are pinned for exactly
// this reason (the owner taking them down after the award); the dataset
// version of a held job was not. Now the agent keeps the dataset versions
// of the jobs it has executed and holds on disk (keepDatasets).
func TestAttackDatasetOwnerTakesRowsDownAfterExecution(t *testing.T) {
	const rows, cols, perChunk = 64, 2, 8
	market := &fakeMarket{versions: map[uint64]datamarkettypes.Dataset{}}
	files := map[uint64][]byte{}
	var down atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/datasets/5", func(w http.ResponseWriter, r *http.Request) {
		v, _ := strconv.ParseUint(r.URL.Query().Get("version"), 10, 64)
		if down.Load() || files[v] == nil {
			http.Error(w, `{"error":"not_found"}`, http.StatusNotFound)
			return
		}
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
	for v := uint64(1); v <= 5; v++ {
		m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
		for i := range m.Data {
			m.Data[i] = float32(i%7) + float32(v)
		}
		npy, err := workload.EncodeNPY(m)
		if err != nil {
			t.Fatal(err)
		}
		files[v] = npy
		root, _, err := dataset.Root(m, perChunk)
		if err != nil {
			t.Fatal(err)
		}
		rec := datamarkettypes.Dataset{Id: 5, Version: v, Rows: rows, Cols: cols, RowsPerChunk: perChunk,
			ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Uri: srv.URL}
		market.versions[v] = rec
		market.cur = rec
	}
	models, modelSize := distinctMLPModels(t, 6)
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Records{ByID: models}, Datasets: market,
		Signer:   signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(t.TempDir(), "cache"), CacheBytes: 3 * modelSize,
		Fetch: jobexec.FetchPolicy{AllowLocal: true}, ModelMemoryBytes: modelSize,
	})
	ctx := context.Background()

	// Job 11 runs on version 1: the winner downloads its rows.
	if _, err := resolver.DatasetFile(ctx, 5, 1); err != nil {
		t.Fatalf("setup: the winner's download: %v", err)
	}
	s := newServed(t, 11, gemmChunks(), Config{MLP: resolver}, Record{Kind: workload.KindMLP, DatasetID: 5, DatasetVersion: 1, ChunkRows: perChunk})
	if status, body := s.get(t, s.validator, s.url, "/v1/jobs/11/chunks/0"); status != http.StatusOK {
		t.Fatalf("setup: a validator's chunk while the rows are held: %d %s", status, body)
	}
	// Every step of the agent from then on keeps what its held jobs need
	// (keepModels, keepDatasets): job 11, executed, under verification.
	s.a.recs = map[uint64]*Record{11: {ID: 11, Phase: PhaseSubmitted, Kind: workload.KindMLP, DatasetID: 5, DatasetVersion: 1, ChunkRows: perChunk}}
	step := func() {
		s.a.keepModels()
		s.a.keepDatasets(ctx)
	}
	step()

	// Other held jobs on later versions, and a flood of cheap jobs on
	// distinct models that the agent sizes; then the owner takes the
	// server down.
	for v := uint64(2); v <= 5; v++ {
		if _, err := resolver.DatasetFile(ctx, 5, v); err != nil {
			t.Fatalf("setup: version %d: %v", v, err)
		}
		step()
	}
	for id := uint64(1); id <= 6; id++ {
		if _, err := resolver.Model(ctx, id); err != nil {
			t.Fatalf("setup: model %d: %v", id, err)
		}
		step()
	}
	down.Store(true)

	for i := uint64(0); i < 3; i++ {
		status, body := s.get(t, s.validator, s.url, "/v1/jobs/11/chunks/"+strconv.FormatUint(i, 10))
		if status != http.StatusOK {
			t.Fatalf("a validator's request for chunk %d of executed job 11 under verification: %d %s; "+
				"the provider no longer holds the input rows it ran the job on (out of memory, evicted from disk by a model flood) "+
				"and their owner took its server down: every validator votes the honest provider UNAVAILABLE", i, status, body)
		}
	}
}
