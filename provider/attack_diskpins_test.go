package provider

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// distinctMLPModels registers n distinct mlp weights files of one size, served
// on loopback, and returns their records and the size of one file.
func distinctMLPModels(t *testing.T, n int) (map[uint64]modelregistrytypes.Model, int64) {
	t.Helper()
	files := map[string][]byte{}
	recs := map[uint64]modelregistrytypes.Model{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(files[r.URL.Path]) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	var size int64
	for id := uint64(1); id <= uint64(n); id++ {
		w := make([]float32, 2*64)
		w[0] = float32(id)
		file, err := workload.EncodeSafetensors(&workload.Model{Layers: []workload.Layer{{In: 2, Out: 64, Weight: w}, {In: 64, Out: 1, Weight: make([]float32, 64)}}})
		if err != nil {
			t.Fatal(err)
		}
		sha := workload.SHA256Hex(file)
		files["/"+sha] = file
		recs[id] = modelregistrytypes.Model{Id: id, Sha256: sha, Uri: srv.URL + "/" + sha, InputDim: 2, OutputDim: 1}
		size = int64(len(file))
	}
	return recs, size
}

// refusingDatasets serves every dataset but one (refuse): a requester whose
// dataset server says no to the agent's Holds.
type refusingDatasets struct {
	*jobexec.ChainResolver
	refuse uint64
}

func (s refusingDatasets) DatasetServed(_ context.Context, id, _ uint64) error {
	if id == s.refuse {
		return errors.New("not served")
	}
	return nil
}

// diskAgent is an mlp agent over res, with its disk cache wired as
// cmd/aichain-provider wires it.
func diskAgent(t *testing.T, res *jobexec.ChainResolver, src jobexec.ProviderSource) *Agent {
	t.Helper()
	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	a.cfg.MLP, a.cfg.Weights = src, res.OpenCachedWeights
	return a
}

func mlpJobOn(id, model, dataset uint64, commitEnd int64) computetypes.Job {
	j := mlpBidJob(id)
	j.CommitEnd = commitEnd
	j.Workload.Mlp = &computetypes.MlpSpec{ModelId: model, DatasetId: dataset}
	return j
}

// decideAll runs the bidding step's decideOpen until no job is still being
// sized (the sizer runs beside the pipeline).
func decideAll(t *testing.T, a *Agent, jobs []computetypes.Job) {
	t.Helper()
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	deadline := time.Now().Add(20 * time.Second)
	for {
		a.decideOpen(context.Background(), append([]computetypes.Job(nil), jobs...), rich)
		pending := false
		for _, j := range jobs {
			_, bid := a.recs[j.Id]
			_, skipped := a.skip[j.Id]
			pending = pending || (!bid && !skipped)
		}
		if !pending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("jobs still being sized after 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAttackFloodInTheBidRoundEvictsABidJobsWeights: hostile requester
// (who also owns model 1). The keep mark is set only at the end of a step
// (keepCache runs after bid), and the sizer sizes jobs one after another
// inside that step. With no job held yet the mark is zero, so the requester
// posts job 1 over its model 1 and, in the same block, job 2 over another
// large model (a later commit end): the agent sizes job 1 (its weights on
// disk, so "disk" does not refuse it) and bids, then sizing job 2 evicts
// model 1's file. The bid binds collateral on weights the agent no longer
// has on disk; it computes from memory, and when the owner takes model 1's
// uri down the validators ask the provider, which answers 404: the
// verification is inconclusive and the provider unpaid or slashed.
// Correct: the weights of a job the agent has bid on stay on disk from the
// moment it decides to bid (the mark, or a pin, covers records made in
// this very step), so job 2 is refused "disk" instead. Now the agent pins
// a job's weights as it decides to bid (pinWeights, jobexec PinModel).
func TestAttackFloodInTheBidRoundEvictsABidJobsWeights(t *testing.T) {
	recs, size := distinctMLPModels(t, 2)
	// Kept weights take at most half the cache: one model here.
	res := jobexec.NewChainResolver(jobexec.ResolverConfig{Models: modelreg.Records{ByID: recs}, CacheDir: filepath.Join(t.TempDir(), "cache"),
		CacheBytes: 2 * size, Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second}})
	a := diskAgent(t, res, servedEverywhere{res})
	a.keepModels() // the end of the previous step: no job held

	decideAll(t, a, []computetypes.Job{mlpJobOn(1, 1, 5, 105), mlpJobOn(2, 2, 5, 106)})
	a.keepModels() // the end of this step
	if _, ok := a.recs[1]; !ok {
		t.Fatalf("the agent did not bid on job 1 (skip %v)", a.skip)
	}
	f, err := res.OpenCachedWeights(recs[1].Sha256)
	if err != nil {
		_, bid2 := a.recs[2]
		t.Fatalf("the agent bid on job 1 and its model's weights are not on disk to serve the validators (%v); job 2 over another model was bid on too: %v", err, bid2)
	}
	_ = f.Close()
}

// TestAttackFloodAfterRestartEvictsAHeldJobsWeights: hostile requester.
// After a restart the resolver's keep mark is zero until the end of the
// first step, and that step's bid sizes every open job first. The agent
// holds won job 1 (record reloaded from its store); the requester has a job
// over another large model open: sizing it evicts job 1's weights, which
// the agent must serve the validators while job 1 is verified. Correct:
// the records reloaded at start keep their weights before any sizing, so
// the new model is not written (job 2 refused "disk"). Now Run keeps the
// loaded records' models (Record.ModelSha) before anything is sized.
func TestAttackFloodAfterRestartEvictsAHeldJobsWeights(t *testing.T) {
	recs, size := distinctMLPModels(t, 2)
	dir := filepath.Join(t.TempDir(), "cache")
	cfg := jobexec.ResolverConfig{Models: modelreg.Records{ByID: recs}, CacheDir: dir, CacheBytes: size,
		Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second}}
	before := jobexec.NewChainResolver(cfg)
	if _, err := before.Model(context.Background(), 1); err != nil { // job 1 sized, bid and won before the stop
		t.Fatal(err)
	}

	res := jobexec.NewChainResolver(cfg) // the restart
	a := diskAgent(t, res, servedEverywhere{res})
	a.recs[1] = &Record{ID: 1, Phase: PhaseWon, ModelSha: recs[1].Sha256, CommitEnd: 105, RevealEnd: 110, ExecBlocks: 40}
	a.keepModels()                                              // as Run does with the records it loads
	decideAll(t, a, []computetypes.Job{mlpJobOn(2, 2, 5, 106)}) // the first step's bid
	a.keepModels()
	f, err := res.OpenCachedWeights(recs[1].Sha256)
	if err != nil {
		_, bid2 := a.recs[2]
		t.Fatalf("after a restart, sizing a new job evicted the weights of won job 1 (%v; job 2 bid on: %v)", err, bid2)
	}
	_ = f.Close()
}

// TestAttackFullCacheRefusesAModelForEver: hostile requester. While the
// agent holds a job, the requester posts a job over model 2 (popular, or
// its own) when the cache is full of kept files: model 2 is loaded to size
// the job, kept in memory, and not written (ErrCacheFull), and the job is
// refused "disk" as designed. But once the held job ends and the cache
// has room, every later job over model 2 is still refused: the weights come
// from the memory cache, which never writes them to disk again, and
// ModelOnDisk reads only the disk. The more model 2 is used the longer it
// stays in memory, so the agent stops bidding on a popular model for good.
// Correct: once there is room, a model used from memory is written to disk
// (or ModelOnDisk stores it) and its jobs are bid on again. Now a model not
// on disk is not kept in memory either: the next use fetches and writes it.
func TestAttackFullCacheRefusesAModelForEver(t *testing.T) {
	recs, size := distinctMLPModels(t, 2)
	// Kept weights take at most half the cache: one model here.
	res := jobexec.NewChainResolver(jobexec.ResolverConfig{Models: modelreg.Records{ByID: recs}, CacheDir: filepath.Join(t.TempDir(), "cache"),
		CacheBytes: 2 * size, Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second}})
	a := diskAgent(t, res, servedEverywhere{res})
	ctx := context.Background()
	if _, why := a.estimate(ctx, mlpJobOn(1, 1, 5, 105)); why != "" {
		t.Fatalf("job 1: %q", why)
	}
	a.recs[1] = &Record{ID: 1, Phase: PhaseWon, ModelSha: recs[1].Sha256}
	a.keepModels()
	if why := decideWhy(ctx, a, mlpJobOn(2, 2, 5, 105)); why != "disk" {
		t.Fatalf("job 2 while the cache is full of kept files: why %q, want \"disk\"", why)
	}
	a.recs[1].Phase = PhaseEnded // job 1 paid and retired: nothing held
	a.keepModels()
	if why := decideWhy(ctx, a, mlpJobOn(3, 2, 5, 105)); why != "" {
		used, budget := res.CacheUsage()
		t.Fatalf("with nothing held and the cache free to evict, a job over model 2 is still refused: why %q (cache %d of %d bytes)", why, used, budget)
	}
}

// TestAttackFloodOfUnbidJobsStopsAllBids: hostile requester. Every file
// used since an hour before the oldest held job's bid is kept, whether or
// not it belongs to a job the agent holds. While the agent holds one job,
// the requester posts jobs over many new models whose dataset its own
// server refuses to the agent: each is sized (its model fetched and
// written to disk, inside the keep window) and refused ("dataset"). The
// cache fills with files of jobs the agent never bid on, all kept, and
// every honest job over a new model is then refused "disk" for as long as
// the agent holds any job. Correct: only the files of jobs the agent holds
// are kept; the flood's files are evicted for the honest job's model. Now
// the agent keeps exactly its held jobs' models (keepModels).
func TestAttackFloodOfUnbidJobsStopsAllBids(t *testing.T) {
	recs, size := distinctMLPModels(t, 3)
	res := jobexec.NewChainResolver(jobexec.ResolverConfig{Models: modelreg.Records{ByID: recs}, CacheDir: filepath.Join(t.TempDir(), "cache"),
		CacheBytes: 4 * size, Fetch: jobexec.FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second}}) // kept weights: two models at most
	a := diskAgent(t, res, refusingDatasets{res, 66})
	ctx := context.Background()
	if _, why := a.estimate(ctx, mlpJobOn(1, 1, 5, 105)); why != "" {
		t.Fatalf("held job: %q", why)
	}
	a.recs[1] = &Record{ID: 1, Phase: PhaseWon, ModelSha: recs[1].Sha256}
	a.keepModels()
	if why := decideWhy(ctx, a, mlpJobOn(2, 2, 66, 105)); why != "dataset" { // the flood: sized, not bid on
		t.Fatalf("flood job: why %q, want \"dataset\"", why)
	}
	if why := decideWhy(ctx, a, mlpJobOn(3, 3, 5, 105)); why != "" {
		t.Fatalf("an honest job over a new model is refused %q: the cache is full of the weights of a job the agent never bid on", why)
	}
}

// decideWhy is why the agent does not bid on job ("" when it bids: its
// record is then held).
func decideWhy(ctx context.Context, a *Agent, job computetypes.Job) string {
	rich := sdk.NewInt64Coin("uaic", 1_000_000_000)
	r, why := a.decide(ctx, job, &rich)
	if r != nil {
		a.recs[r.ID] = r
	}
	return why
}
