package provider

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
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

// gptOverResolver is a servedEverywhere whose gpt-f32 models are a small
// random model whose weights file is the resolver's mlp model of the same
// id (fetched into, and so pinned from, the disk cache as a gpt model's
// weights are): a model whose weights the agent keeps for a job without a
// dataset (gpt-f32 with inline prompts).
type gptOverResolver struct {
	servedEverywhere
	model *workload.GPTModel
}

func (g gptOverResolver) GPTModel(ctx context.Context, id uint64) (*workload.GPTModel, error) {
	if _, err := g.Model(ctx, id); err != nil {
		return nil, err
	}
	return g.model, nil
}

// roomSetup is one dataset (id 5, version 1, rows×2 values) served on
// loopback, n distinct mlp models, and a resolver whose disk cache has
// budget(datasetFileSize, modelFileSize) bytes.
func roomSetup(t *testing.T, rows int, n int, budget func(ds, model int64) int64) (*jobexec.ChainResolver, int64, int64) {
	e := roomSetupEnv(t, rows, n, budget)
	return e.resolver, e.dsSize, e.modelSize
}

type roomEnv struct {
	resolver          *jobexec.ChainResolver
	dsSize, modelSize int64
	cacheDir          string
	down              *atomic.Bool // the dataset server answers 503
}

func roomSetupEnv(t *testing.T, rows int, n int, budget func(ds, model int64) int64) roomEnv {
	t.Helper()
	down := new(atomic.Bool)
	const cols, perChunk = 2, 64
	market := &fakeMarket{versions: map[uint64]datamarkettypes.Dataset{}}
	files := map[uint64][]byte{}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/datasets/5", func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
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
	m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(i % 7)
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	files[1] = npy
	root, _, err := dataset.Root(m, perChunk)
	if err != nil {
		t.Fatal(err)
	}
	rec := datamarkettypes.Dataset{Id: 5, Version: 1, Rows: uint64(rows), Cols: cols, RowsPerChunk: perChunk,
		ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Uri: srv.URL, Format: "npy-f32"}
	market.versions[1], market.cur = rec, rec
	models, modelSize := distinctMLPModels(t, n)
	dir := filepath.Join(t.TempDir(), "cache")
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Records{ByID: models}, Datasets: market,
		Signer:   signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: dir, CacheBytes: budget(int64(len(npy)), modelSize),
		Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second},
	})
	return roomEnv{resolver: resolver, dsSize: int64(len(npy)), modelSize: modelSize, cacheDir: dir, down: down}
}

// TestAttackDatasetlessPinsEatAnAdmittedDatasetsRoom: admitDatasetRoom
// weighs a job's dataset against the cache's room as it is when the agent
// bids, but the weights the agent pins afterwards for jobs without a
// dataset (gpt-f32 with inline prompts: admitDatasetRoom returns at once,
// pinWeights keeps them, up to half the cache) are never weighed against
// the datasets already admitted. An honest mlp job whose dataset takes
// more than half the cache is admitted while few weights are kept; the
// attacker then posts gpt jobs with inline prompts on models of its own;
// the agent bids on them and keeps their weights; the honest job, won, finds
// no room for its dataset, waits 2 minutes, fails its inputs and is aborted
// past half its window, the validators finding the inputs available and
// forfeiting the collateral. Now the datasets' room is checked after every
// pin, the job refused ("disk") and its pin undone when they no longer fit.
func TestAttackDatasetlessPinsEatAnAdmittedDatasetsRoom(t *testing.T) {
	resolver, dsSize, modelSize := roomSetup(t, 1024, 3, func(ds, m int64) int64 { return ds + m + m/2 })
	src := gptOverResolver{servedEverywhere: servedEverywhere{resolver}}
	var err error
	if src.model, err = workload.RandomGPT(workload.GPTConfig{Layers: 1, Heads: 2, Embed: 16, Vocab: 256, Context: 32}, 3); err != nil {
		t.Fatal(err)
	}
	a := diskAgent(t, resolver, src)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindGPT)
	ctx := context.Background()

	if _, err := resolver.Model(ctx, 1); err != nil {
		t.Fatal(err)
	}
	honest := mlpJobOn(20, 1, 5, 105)
	honest.DatasetVersion, honest.Rows, honest.Workload.ChunkRows, honest.ExpectedChunkCount = 1, 1024, 64, 16
	if why := decideWhy(ctx, a, honest); why != "" {
		t.Fatalf("setup: the honest job is refused %q (its dataset %d bytes fits the room beside its weights %d)", why, dsSize, modelSize)
	}
	a.keepModels()

	// The attacker's gpt jobs with inline prompts on models 2 and 3.
	bid := 0
	for i, model := range []uint64{2, 3} {
		j := gptBidJob(uint64(30+i), "aic1mallory", model)
		j.Workload.Gpt.DatasetId = 0
		if why := decideWhy(ctx, a, j); why == "" {
			bid++
		} else {
			t.Logf("attacker job %d refused %q", j.Id, why)
		}
		a.keepModels()
	}
	if bid == 0 {
		t.Log("no attacker job bid on: their pins would take the honest dataset's room")
	}

	// The honest job is won: its dataset is downloaded.
	release, err := resolver.PrefetchDataset(ctx, 5, 1)
	if err != nil {
		used, b := resolver.CacheUsage()
		room, _ := resolver.DatasetRoom(ctx, nil)
		t.Fatalf("honest job 20 was admitted with its %d-byte dataset, then %d dataset-less attacker job(s) pinned weights "+
			"(%d bytes each) and, won, its dataset cannot be downloaded: %v (cache %d of %d bytes, room %d): its inputs fail "+
			"and the agent aborts it, forfeiting the collateral", dsSize, bid, modelSize, err, used, b, room)
	}
	release()
}

// TestSharedDatasetIsCountedOncePerFile: admitDatasetRoom counts a
// dataset's bytes once per held job, and again for the file the cache
// already holds (kept for an executed job, held after its prefetch, or
// being written), though one file on disk serves every job over that
// dataset version (PrefetchDataset finds it present and holds it). An
// honest requester running two jobs (two models) over one dataset larger
// than half the room: the agent bids on the first and refuses the second
// ("disk") as long as the first is held, although the second's download
// would find the file on disk and need no room at all. Before the bid-time
// admission both were bid on and ran. Now the room a job's dataset needs
// is counted once per file, and not at all for a file the cache already
// counts (jobexec.DatasetRoom).
func TestSharedDatasetIsCountedOncePerFile(t *testing.T) {
	resolver, dsSize, modelSize := roomSetup(t, 1024, 2, func(ds, m int64) int64 { return ds + 2*m + m/2 })
	a := diskAgent(t, resolver, servedEverywhere{resolver})
	ctx := context.Background()
	for _, id := range []uint64{1, 2} {
		if _, err := resolver.Model(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	job := func(id, model uint64) string {
		j := mlpJobOn(id, model, 5, 105)
		j.DatasetVersion, j.Rows, j.Workload.ChunkRows, j.ExpectedChunkCount = 1, 1024, 64, 16
		why := decideWhy(ctx, a, j)
		a.keepModels()
		return why
	}
	if why := job(20, 1); why != "" {
		t.Fatalf("setup: the first job is refused %q", why)
	}
	if why := job(21, 2); why != "" {
		room, _ := resolver.DatasetRoom(ctx, nil)
		t.Errorf("bid on job 20 over dataset 5 v1 (%d bytes), the agent refuses job 21 over the same file: %q (room %d, weights %d each): "+
			"the one file is counted once per job", dsSize, why, room, modelSize)
	}
	delete(a.recs, 21)

	// Job 20 won and executed: its dataset is on disk, kept for the validators.
	release, err := resolver.PrefetchDataset(ctx, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	release()
	r := a.recs[20]
	r.Phase, r.DatasetID, r.DatasetVersion = PhaseExecuted, 5, 1
	a.keepDatasets(ctx)
	if why := job(22, 2); why != "" {
		room, _ := resolver.DatasetRoom(ctx, nil)
		t.Errorf("job 20 executed, its dataset kept on disk: the agent refuses job 22 over the same file: %q (room %d): "+
			"a file already on disk is counted again as room to find", why, room)
	}
}

// TestAttackReleasedDatasetEvictedBeforeItIsKept: a prefetched dataset is
// held against eviction until its job's load has read it, and kept only
// once the job is executed (keepDatasets, at the step after the result):
// through the whole execution the file is neither held nor kept. The
// requester, who owns the dataset, floods the agent with jobs on distinct
// models while its job executes (the sizing fetches each model's weights
// into the cache, evicting the least recently used file not in use: the
// dataset), then takes its server down; the agent, executed, keeps a file
// no longer on disk, answers every validator's chunk request 503 and
// forfeits the collateral (TestAttackDatasetOwnerTakesRowsDownAfterExecution's
// harm). Now the prefetch's hold lasts until the job's dataset is kept
// (releaseHolds), or the job ends, not only until its load.
func TestAttackReleasedDatasetEvictedBeforeItIsKept(t *testing.T) {
	e := roomSetupEnv(t, 1024, 3, func(ds, m int64) int64 { return ds + 2*m + m/2 })
	resolver := e.resolver
	a := diskAgent(t, resolver, servedEverywhere{resolver})
	ctx := context.Background()
	if _, err := resolver.Model(ctx, 1); err != nil {
		t.Fatal(err)
	}
	j := mlpJobOn(20, 1, 5, 105)
	j.DatasetVersion, j.Rows, j.Workload.ChunkRows, j.ExpectedChunkCount = 1, 1024, 64, 16
	if why := decideWhy(ctx, a, j); why != "" {
		t.Fatalf("setup: job 20 refused %q", why)
	}
	a.keepModels()
	a.keepDatasets(ctx)

	// Won: prefetched (held), then loaded in a slot.
	a.fetches.hold(20, mustPrefetch(t, resolver))
	if _, err := resolver.Dataset(ctx, 5, 1); err != nil {
		t.Fatal(err)
	}
	a.releaseHolds(a.keepDatasets(ctx)) // a step while it executes

	// While it executes: the attacker's flood is sized (models 2 and 3
	// fetched into the cache), then the owner's server goes down.
	for _, id := range []uint64{2, 3} {
		if _, err := resolver.Model(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.down.Store(true)

	// Executed: the agent keeps its dataset for the validators.
	r := a.recs[20]
	r.Phase, r.DatasetID, r.DatasetVersion = PhaseExecuted, 5, 1
	a.keepModels()
	a.releaseHolds(a.keepDatasets(ctx))
	entries, _ := os.ReadDir(filepath.Join(e.cacheDir, "datasets"))
	if len(entries) == 0 {
		t.Fatalf("job 20 executed over dataset 5 v1, whose owner's server is now down: its file (%d bytes) is no longer in the disk cache, "+
			"evicted by the sizing of 2 models (%d bytes each) between its load and its execution's end: every validator's chunk request "+
			"is answered 503 and the agent forfeits the collateral", e.dsSize, e.modelSize)
	}
}

func mustPrefetch(t *testing.T, r *jobexec.ChainResolver) func() {
	t.Helper()
	release, err := r.PrefetchDataset(context.Background(), 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	return release
}

// TestAttackRefusedJobsPinsRefuseAnHonestJob: decide pins a job's weights
// (pinWeights) before it weighs its dataset against the room
// (admitDatasetRoom); a job refused there keeps its weights pinned until
// the step ends (keepModels), and every job decided after it in the same
// step finds them kept: less room for its dataset, and less of the
// weights' half for its own weights. The attacker posts, in one block,
// jobs on models of its own whose declared rows are more than the room
// (each refused "disk", each after pinning): the honest job decided after
// them in that step is refused "disk", and a refusal other than sizing is
// for good (a.skip until its commit end): the agent never bids on it.
// Now a job refused after pinWeights has its pin undone (keepModels).
func TestAttackRefusedJobsPinsRefuseAnHonestJob(t *testing.T) {
	resolver, dsSize, modelSize := roomSetup(t, 1024, 3, func(ds, m int64) int64 { return ds + 2*m + m/2 })
	a := diskAgent(t, resolver, servedEverywhere{resolver})
	ctx := context.Background()
	for _, id := range []uint64{1, 2, 3} {
		if _, err := resolver.Model(ctx, id); err != nil { // sized: their weights in the cache
			t.Fatal(err)
		}
	}
	// The attacker's jobs on models 1 and 2, declaring 4096 rows.
	for i, model := range []uint64{1, 2} {
		j := mlpJobOn(uint64(30+i), model, 5, 105)
		j.Requester = "aic1mallory"
		j.DatasetVersion, j.Rows, j.Workload.ChunkRows, j.ExpectedChunkCount = 1, 4096, 64, 64
		if why := decideWhy(ctx, a, j); why != "disk" {
			t.Fatalf("setup: attacker job %d: why %q, want \"disk\"", j.Id, why)
		}
	}
	// The honest job, decided next in the same step.
	j := mlpJobOn(20, 3, 5, 105)
	j.DatasetVersion, j.Rows, j.Workload.ChunkRows, j.ExpectedChunkCount = 1, 1024, 64, 16
	if why := decideWhy(ctx, a, j); why != "" {
		room, _ := resolver.DatasetRoom(ctx, nil)
		t.Fatalf("the honest job (dataset %d bytes, weights %d) is refused %q after two attacker jobs refused \"disk\" left their "+
			"weights pinned (room now %d): the refusal is for good (skip), the agent never bids on it", dsSize, modelSize, why, room)
	}
}

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
	// The dataset is larger than half the cache, the weights at most half:
	// not both at once.
	resolver, size, modelSize := roomSetup(t, 1024, 1, func(ds, m int64) int64 { return ds + m/2 })
	a := diskAgent(t, resolver, servedEverywhere{resolver})
	ctx := context.Background()

	// The honest job, over version 1, on a model whose weights the sizing
	// fetched.
	if _, err := resolver.Model(ctx, 1); err != nil {
		t.Fatal(err)
	}
	j := mlpJobOn(20, 1, 5, 105)
	j.DatasetVersion, j.Rows, j.Workload.ChunkRows, j.ExpectedChunkCount = 1, 1024, 64, 16
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
