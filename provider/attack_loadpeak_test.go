package provider

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
)

// TestAttackFetchSlotsHoldDatasetFilesBesideTheirValues: a fetch slot that
// loads a job's dataset reads its whole file and decodes its values and
// chunk index beside it; the file goes only once the values are checked.
// The agent counted the values alone (HeldBytes) for each slot, so a
// requester whose jobs' datasets fill the budget had the fetch slots
// loading at once hold each file again beside them (4 slots, 1 GiB
// datasets: 4 GiB more than counted, on an 8 GiB budget). Measured: a
// version of 4 MiB of values read from the disk cache. Now each fetch slot
// counts the load's peak beside what the job keeps (BidShape.LoadBytes:
// the file and the chunk index, or a model's file beside its weights,
// the larger); with the memory for it, the job is still bid on.
func TestAttackFetchSlotsHoldDatasetFilesBesideTheirValues(t *testing.T) {
	const rows, cols, perChunk = 16384, 64, 16 // 4 MiB of values, 1024 chunks
	files, _ := datasetVersions(t, rows, cols, perChunk, 1)
	model := &workload.Model{Layers: []workload.Layer{{In: cols, Out: 1, Weight: make([]float32, cols)}}}
	recs, _ := servedModels(t, model)
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{ // the version over the memory bound: loaded by every fetch
		Models: modelreg.Of(recs...), Datasets: files,
		Signer:   signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(t.TempDir(), "cache"), Fetch: jobexec.FetchPolicy{AllowLocal: true},
		ModelMemoryBytes: 64 << 10, DatasetMemoryBytes: 64 << 10,
	})
	a := testAgent(t)
	a.cfg.Hardware.Workloads = append(a.cfg.Hardware.Workloads, workload.KindMLP)
	a.cfg.MLP = resolver
	setMemoryBudget(t, a, 32<<20)
	ctx := context.Background()
	job := mlpJob(1, rows, perChunk)
	job.DatasetVersion, job.Workload.Mlp.ModelId = 1, 1
	if _, err := resolver.Dataset(ctx, 5, 1); err != nil { // downloaded to the disk cache, as before a fetch
		t.Fatal(err)
	}

	// One fetch's load of the version from disk: what it allocates beside
	// the values the job keeps, the most it holds beside them at once.
	extra, values := loadExtra(t, resolver)

	s, err := jobexec.SizeOf(ctx, job, resolver)
	if err != nil {
		t.Fatal(err)
	}
	budget, _ := a.jobsMemory()
	running := s.ExecBytes + outputMemBytes(s) + treeMemBytes(chunkCount(job, s))
	worst := s.HeldBytes*uint64(a.cfg.Fetchers+a.cfg.Workers) + running*uint64(a.cfg.Workers) + extra*uint64(a.cfg.Fetchers)
	t.Logf("a load holds %d KiB beside the %d KiB of values kept; %d jobs like it, %d of them loading: %d KiB, the jobs' budget %d KiB",
		extra>>10, len(values.Data)*4>>10, a.cfg.Fetchers+a.cfg.Workers, a.cfg.Fetchers, worst>>10, budget>>10)
	if _, why := a.estimate(ctx, job); why == "" && worst > budget {
		t.Fatalf("the agent bids on a job over %d MiB of values whose loads, one per fetch slot, hold %d KiB each beside them: "+
			"%d KiB in all, over the %d KiB its budget leaves the jobs", len(values.Data)*4>>20, extra>>10, worst>>10, budget>>10)
	}

	// Downloaded in the slot (no disk cache, or a full one), the file
	// came into a buffer grown as it came: up to three times the file.
	noDisk := jobexec.NewChainResolver(jobexec.ResolverConfig{Models: modelreg.Of(recs...), Datasets: files,
		Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}, Fetch: jobexec.FetchPolicy{AllowLocal: true},
		ModelMemoryBytes: 64 << 10, DatasetMemoryBytes: 64 << 10})
	downloaded, _ := loadExtra(t, noDisk)
	t.Logf("downloaded in the slot: %d KiB beside the values", downloaded>>10)
	const exchange = 256 << 10 // the HTTP exchange's own buffers, the request's signing
	if s.LoadBytes+exchange < max(extra, downloaded) {
		t.Errorf("the sizing counts %d KiB for a load, which holds %d KiB beside the values from disk, %d KiB downloaded",
			s.LoadBytes>>10, extra>>10, downloaded>>10)
	}
	// The honest path: with half as much memory again, the same job is
	// bid on.
	setMemoryBudget(t, a, 48<<20)
	if _, why := a.estimate(ctx, job); why != "" {
		t.Fatalf("the job on a %d MiB budget: why %q", a.cfg.MaxMemoryBytes>>20, why)
	}
}

// loadExtra loads version 1 of dataset 5 through r as a fetch does, and
// returns what the load allocated beside the values the job keeps (at
// least what it held beside them at once), and the values.
func loadExtra(t *testing.T, r *jobexec.ChainResolver) (uint64, *workload.Matrix) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	values, err := r.Dataset(context.Background(), 5, 1)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	return after.TotalAlloc - before.TotalAlloc - uint64(len(values.Data))*4, values
}
