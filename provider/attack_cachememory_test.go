package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackCachedDatasetFilesOverrunTheMemoryBudget: the agent counts a
// job's dataset values once for every fetch slot and worker (HeldBytes,
// admitMemory), but its resolver kept the last 4 dataset versions in
// memory whatever their size, each with its whole file beside its values,
// and none of it was counted. A hostile requester posts mlp jobs over 4
// distinct versions of its own dataset, each as large as the budget lets
// the agent hold in every slot: once they have run, the resolver holds 8
// such versions' worth of bytes (4 files, 4 sets of values), and the agent
// still bids on jobs that fill the whole budget beside them (a 16 GiB host,
// budget 8 GiB: 4 cached 1 GiB versions are 8 GiB more). Now the resolver
// keeps no file beside the values and its versions within a byte bound,
// which the agent takes out of its budget; the last version used still
// stays in memory for the next job on it.
func TestAttackCachedDatasetFilesOverrunTheMemoryBudget(t *testing.T) {
	const rows, cols, perChunk, versions = 16384, 64, 256, 4 // 4 MiB of values each
	values := uint64(rows * cols * 4)
	files, downloads := datasetVersions(t, rows, cols, perChunk, versions+1)
	model := &workload.Model{Layers: []workload.Layer{{In: cols, Out: 1, Weight: make([]float32, cols)}}}
	recs, _ := servedModels(t, model)
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(recs...), Datasets: files,
		Signer:   signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(t.TempDir(), "cache"), Fetch: jobexec.FetchPolicy{AllowLocal: true},
		ModelMemoryBytes: 1 << 20, DatasetMemoryBytes: 9 << 20, // two such versions
	})
	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	a.cfg.MLP = resolver
	setMemoryBudget(t, a, 64<<20) // the jobs' loads counted too: each fetch slot's file beside its values
	ctx := context.Background()
	onVersion := func(id, v uint64) computetypes.Job {
		job := mlpJob(id, rows, perChunk)
		job.DatasetVersion, job.Workload.Mlp.ModelId = v, 1
		return job
	}

	base := liveHeap()
	var last *workload.Matrix // the values of the last job, which the next job on its version finds in memory
	for v := uint64(1); v <= versions; v++ {
		job := onVersion(10+v, v)
		if _, why := a.estimate(ctx, job); why != "" {
			t.Fatalf("setup: the attacker's job over version %d (%d MiB of values): why %q", v, values>>20, why)
		}
		// Won and fetched as the agent's fetch loads it, run, then done.
		if _, err := jobexec.FromJob(ctx, job.Workload, v, resolver); err != nil {
			t.Fatalf("setup: fetch of version %d: %v", v, err)
		}
		var err error
		if last, err = resolver.Dataset(ctx, 5, v); err != nil {
			t.Fatal(err)
		}
	}
	held := liveHeap() - base

	// The agent bids on a job like the attacker's while its resolver holds
	// what the flood left: every slot may then hold one like it beside.
	job := onVersion(20, versions+1)
	need := memoryNeed(t, a, job)
	_, why := a.estimate(ctx, job)
	if why == "" && uint64(held)+need > a.cfg.MaxMemoryBytes {
		t.Fatalf("after jobs over %d distinct %d MiB dataset versions the resolver still holds %d MiB in memory, "+
			"and the agent bids on a job whose like in each of its %d slots takes %d MiB: %d MiB, budget %d MiB",
			versions, values>>20, held>>20, a.cfg.Fetchers+a.cfg.Workers, need>>20, (uint64(held)+need)>>20, a.cfg.MaxMemoryBytes>>20)
	}
	if why != "" { // it fits beside the resolver's bounds (12.25 MiB)
		t.Fatalf("a job of %d MiB in all slots, within the budget less the resolver's bounds: why %q", need>>20, why)
	}

	// The honest path: the version used last is still in memory for the
	// next job on it, neither downloaded nor read again.
	before := downloads.Load()
	again, err := resolver.Dataset(ctx, 5, versions)
	if err != nil {
		t.Fatal(err)
	}
	if again != last || downloads.Load() != before {
		t.Fatalf("the version used last was loaded again (the same values: %v; downloads %d, then %d)", again == last, before, downloads.Load())
	}
}

// TestAttackCachedModelsOverrunTheMemoryBudget: the resolver keeps parsed
// models in memory up to ModelMemoryBytes (2 GiB by default), which the
// agent's memory admission did not count. A hostile model owner posts cheap
// mlp jobs on distinct large models; the agent sizes each (fetching and
// parsing its model, kept in memory) and then still bids on jobs that fill
// its whole budget beside them. Now the models' bound is taken out of the
// budget; a job on a model read before is still sized without a fetch.
func TestAttackCachedModelsOverrunTheMemoryBudget(t *testing.T) {
	const width, models = 512, 4 // 1 MiB of weights each
	files, _ := datasetVersions(t, 8, width, 8, 1)
	var mlps []*workload.Model
	for id := 1; id <= models; id++ {
		w := make([]float32, width*width)
		w[0] = float32(id)
		mlps = append(mlps, &workload.Model{Layers: []workload.Layer{
			{In: width, Out: width, Weight: w}, {In: width, Out: 1, Weight: make([]float32, width)}}})
	}
	recs, fetches := servedModels(t, mlps...)
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{ // no disk cache: a model not in memory is fetched again
		Models: modelreg.Of(recs...), Datasets: files,
		Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		Fetch:  jobexec.FetchPolicy{AllowLocal: true}, ModelMemoryBytes: models * (width*width + 2*width) * 4,
		DatasetMemoryBytes: 64 << 10,
	})
	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	a.cfg.MLP = resolver
	setMemoryBudget(t, a, 26<<20)
	ctx := context.Background()
	onModel := func(id, model uint64) computetypes.Job {
		job := mlpJob(id, 8, 8)
		job.DatasetVersion, job.Workload.Mlp.ModelId = 1, model
		return job
	}

	base := liveHeap()
	for id := uint64(1); id <= models; id++ {
		if _, why := a.estimate(ctx, onModel(10+id, id)); why != "" {
			t.Fatalf("setup: the attacker's job on model %d: why %q", id, why)
		}
	}
	held := liveHeap() - base

	// A job that fills the budget (a gemm's Bᵀ of 4 MiB in every slot) and
	// an honest small one.
	for _, job := range []computetypes.Job{gemmJobNK(20, 8, 1024, 1024, 1000), gemmJobNK(21, 8, 256, 256, 1000)} {
		need := memoryNeed(t, a, job)
		if _, why := a.estimate(ctx, job); why == "" && uint64(held)+need > a.cfg.MaxMemoryBytes {
			t.Fatalf("after sizing jobs on %d distinct models the resolver holds %d MiB of weights in memory, "+
				"and the agent bids on a job whose like in each of its %d slots takes %d MiB: %d MiB, budget %d MiB",
				models, held>>20, a.cfg.Fetchers+a.cfg.Workers, need>>20, (uint64(held)+need)>>20, a.cfg.MaxMemoryBytes>>20)
		}
	}
	if _, why := a.estimate(ctx, gemmJobNK(22, 8, 256, 256, 1000)); why != "" {
		t.Fatalf("a gemm job holding 256 KiB a slot: why %q", why)
	}
	// The honest path: a job on the model read last is sized from memory.
	before := fetches.Load()
	if _, why := a.estimate(ctx, onModel(30, models)); why != "" {
		t.Fatalf("a job on model %d, read before: why %q", models, why)
	}
	if got := fetches.Load(); got != before {
		t.Fatalf("model %d fetched again for a second job (%d fetches, then %d)", models, before, got)
	}
}

// memoryNeed is what admitMemory counts for job: its held bytes in every
// fetch slot and worker, its load's peak in every fetch slot, its
// execution, its output twice and its output's tree in every worker.
func memoryNeed(t *testing.T, a *Agent, job computetypes.Job) uint64 {
	t.Helper()
	s, err := jobexec.SizeOf(context.Background(), job, a.cfg.MLP)
	if err != nil {
		t.Fatal(err)
	}
	return s.HeldBytes*uint64(a.cfg.Fetchers+a.cfg.Workers) + s.LoadBytes*uint64(a.cfg.Fetchers) +
		(s.ExecBytes+outputMemBytes(s)+treeMemBytes(chunkCount(job, s)))*uint64(a.cfg.Workers)
}

// liveHeap is the bytes of the heap still in use after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// servedModels serves the weights of mlp models 1, 2, … on loopback and
// returns their records and a count of the weights fetched.
func servedModels(t *testing.T, models ...*workload.Model) ([]modelregistrytypes.Model, *atomic.Int64) {
	t.Helper()
	files := map[string][]byte{}
	var fetches atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_, _ = w.Write(files[r.URL.Path])
	})
	srv := httptest.NewServer(mux) // on 127.0.0.1
	t.Cleanup(srv.Close)
	recs := make([]modelregistrytypes.Model, len(models))
	for i, m := range models {
		file, err := workload.EncodeSafetensors(m)
		if err != nil {
			t.Fatal(err)
		}
		sha := workload.SHA256Hex(file)
		files["/"+sha] = file
		recs[i] = modelregistrytypes.Model{Id: uint64(i + 1), Sha256: sha, Uri: srv.URL + "/" + sha,
			InputDim: uint64(m.InputDim()), OutputDim: uint64(m.OutputDim())}
	}
	return recs, &fetches
}

// datasetVersions lists n versions of dataset 5 of rows × cols values in
// chunks of perChunk rows, served by a dataset server on loopback that
// counts its downloads (the Holds probe answered 403: served, no licence
// needed to tell).
func datasetVersions(t *testing.T, rows, cols, perChunk uint64, n int) (*fakeMarket, *atomic.Int64) {
	t.Helper()
	market := &fakeMarket{versions: map[uint64]datamarkettypes.Dataset{}}
	files := map[uint64][]byte{}
	var downloads atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("HEAD /v1/datasets/5/chunks/0", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	})
	mux.HandleFunc("GET /v1/datasets/5", func(w http.ResponseWriter, r *http.Request) {
		v, _ := strconv.ParseUint(r.URL.Query().Get("version"), 10, 64)
		downloads.Add(1)
		_, _ = w.Write(files[v])
	})
	srv := httptest.NewServer(mux) // on 127.0.0.1
	t.Cleanup(srv.Close)
	for v := uint64(1); v <= uint64(n); v++ {
		m := &workload.Matrix{Rows: int(rows), Cols: int(cols), Data: make([]float32, rows*cols)}
		for i := range m.Data {
			m.Data[i] = float32(i%13) + float32(v)
		}
		npy, err := workload.EncodeNPY(m)
		if err != nil {
			t.Fatal(err)
		}
		files[v] = npy
		root, _, err := dataset.Root(m, int(perChunk))
		if err != nil {
			t.Fatal(err)
		}
		rec := datamarkettypes.Dataset{Id: 5, Version: v, Rows: rows, Cols: cols, RowsPerChunk: perChunk,
			ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Uri: srv.URL}
		market.versions[v] = rec
		market.cur = rec
	}
	return market, &downloads
}
