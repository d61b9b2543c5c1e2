package jobexec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// distinctModels registers n distinct weights files (16 KiB each), served on
// loopback; it returns the records by id and one file's size.
func distinctModels(t *testing.T, n int) (map[uint64]modelregistrytypes.Model, int64) {
	t.Helper()
	return distinctModelsOf(t, n, 64)
}

// distinctModelsOf is distinctModels of dim×dim weights.
func distinctModelsOf(t *testing.T, n, dim int) (map[uint64]modelregistrytypes.Model, int64) {
	t.Helper()
	files, recs := map[string][]byte{}, map[uint64]modelregistrytypes.Model{}
	for id := uint64(1); id <= uint64(n); id++ {
		file, _ := squareModel(t, dim, float32(id))
		files["/"+workload.SHA256Hex(file)] = file
		recs[id] = modelregistrytypes.Model{Id: id, Sha256: workload.SHA256Hex(file), InputDim: uint64(dim), OutputDim: uint64(dim)}
	}
	srv, _ := weightsServer(t, files, 0)
	var size int64
	for id, rec := range recs {
		rec.Uri = srv.URL + "/" + rec.Sha256
		recs[id] = rec
		size = int64(len(files["/"+rec.Sha256]))
	}
	return recs, size
}

// cacheBytes is what the cache folder holds on disk.
func cacheBytes(t *testing.T, dir string) (int64, int) {
	t.Helper()
	var total int64
	n := 0
	for _, kind := range cacheKinds {
		entries, err := os.ReadDir(filepath.Join(dir, kind))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			total += info.Size()
			n++
		}
	}
	return total, n
}

// TestAttackManyModelsFillTheDisk: a provider loads every open mlp or gpt
// job's model to size it before it bids, and kept every file it fetched on
// disk for ever. A requester registering distinct weights files (up to
// 1 GiB each, a byte changed each time) and posting cheap jobs on them
// filled the agent's disk, and with it the agent's state database: it
// could no longer record its bids or results, and its won jobs timed out.
// Now the disk cache holds at most its budget (here 5 files of 40), least
// recently used out first; the weights of the jobs the provider holds
// (KeepModels, PinModel) are never evicted, and when they fill the budget a
// new file is not written at all (ErrCacheFull, used from memory) rather
// than push the disk past the budget; the sizes survive a restart, and
// writes a stop interrupted are removed.
func TestAttackManyModelsFillTheDisk(t *testing.T) {
	const ids = 40
	recs, size := distinctModels(t, ids)
	dir := filepath.Join(t.TempDir(), "cache")
	budget := 5 * size
	newResolver := func() *ChainResolver {
		return NewChainResolver(ResolverConfig{Models: modelreg.Records{ByID: recs}, CacheDir: dir, CacheBytes: budget,
			Fetch: FetchPolicy{AllowLocal: true}, ModelMemoryBytes: size})
	}
	r := newResolver()
	ctx := context.Background()
	load := func(id uint64) {
		t.Helper()
		if _, err := r.Model(ctx, id); err != nil {
			t.Fatalf("model %d: %v", id, err)
		}
	}
	for id := uint64(1); id <= ids; id++ {
		load(id)
		if got, _ := cacheBytes(t, dir); got > budget {
			t.Fatalf("after %d models the cache holds %d bytes, budget %d", id, got, budget)
		}
	}
	if got, n := cacheBytes(t, dir); got != budget || n != 5 {
		t.Fatalf("the cache holds %d files, %d bytes; want the 5 most recent, %d bytes", n, got, budget)
	}
	for id := uint64(ids - 4); id <= ids; id++ {
		if f, err := r.OpenCachedWeights(recs[id].Sha256); err != nil {
			t.Fatalf("model %d, among the 5 most recent, is not on disk: %v", id, err)
		} else {
			_ = f.Close()
		}
	}

	// The provider holds jobs on the five models on disk: nothing is evicted
	// and nothing new written, whatever comes.
	var held []string
	for id := uint64(ids - 4); id <= ids; id++ {
		held = append(held, recs[id].Sha256)
	}
	r.KeepModels(held)
	for id := uint64(1); id <= 10; id++ { // the flood again (memory holds one model: from the uri)
		load(id)
	}
	if got, n := cacheBytes(t, dir); got > budget || n != 5 {
		t.Fatalf("with every file kept the cache holds %d files, %d bytes, budget %d", n, got, budget)
	}
	file, _ := squareModel(t, 64, 1000)
	if err := r.store("models", workload.SHA256Hex(file)+".safetensors", file); !errors.Is(err, ErrCacheFull) {
		t.Fatalf("a new file with the budget full of kept files: %v, want ErrCacheFull", err)
	}
	if _, err := r.PinModel(context.Background(), 1); !errors.Is(err, ErrCacheFull) {
		t.Fatalf("pinning a model not on disk: %v, want ErrCacheFull", err)
	}
	// It holds only the job on model 36 now: the flood evicts the others.
	r.KeepModels([]string{recs[36].Sha256})
	for id := uint64(1); id <= 10; id++ {
		load(id)
	}
	if got, _ := cacheBytes(t, dir); got > budget {
		t.Fatalf("the cache holds %d bytes, budget %d", got, budget)
	}
	if f, err := r.OpenCachedWeights(recs[36].Sha256); err != nil {
		t.Fatalf("the held job's weights were evicted: %v", err)
	} else {
		_ = f.Close()
	}
	if sha, err := r.PinModel(context.Background(), 10); err != nil || sha != recs[10].Sha256 {
		t.Fatalf("pinning model 10, just loaded: %q, %v", sha, err)
	}

	// A restart learns what is there; a torn write goes.
	if err := os.WriteFile(filepath.Join(dir, "models", ".tmp-123"), make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	r = newResolver()
	if used, b := r.CacheUsage(); used > budget || b != budget {
		t.Fatalf("after a restart the cache counts %d bytes of %d", used, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "models", ".tmp-123")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a torn write is still there: %v", err)
	}
	for id := uint64(11); id <= 20; id++ { // nothing kept after a restart until told: least recently used out
		load(id)
	}
	if got, n := cacheBytes(t, dir); got > budget || n != 5 {
		t.Fatalf("after the restart the cache holds %d files, %d bytes, budget %d", n, got, budget)
	}
}

// TestAttackWeightsWiderThanRegistered: the chain bounds an mlp job's work
// by the layer widths its model registered; an owner registering 64→64 and
// serving weights of 64→64 in two layers (twice the work per row) would
// make the sampled chunks more work than the sidecars were budgeted. The
// resolver refuses weights whose layers are not the recorded widths
// (ErrWeightsMismatch), and takes them under the right record, or under a
// record without widths (registered before they were recorded).
func TestAttackWeightsWiderThanRegistered(t *testing.T) {
	w := make([]float32, 64*64)
	file, err := workload.EncodeSafetensors(&workload.Model{Layers: []workload.Layer{{In: 64, Out: 64, Weight: w}, {In: 64, Out: 64, Weight: w}}})
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := weightsServer(t, map[string][]byte{"/m": file}, 0)
	rec := modelregistrytypes.Model{Sha256: workload.SHA256Hex(file), Uri: srv.URL + "/m", InputDim: 64, OutputDim: 64}
	recs := map[uint64]modelregistrytypes.Model{}
	for id, widths := range map[uint64][]uint64{1: {64, 64}, 2: {64, 64, 64}, 3: nil} {
		r := rec
		r.Id, r.LayerWidths = id, widths
		recs[id] = r
	}
	res := NewChainResolver(ResolverConfig{Models: modelreg.Records{ByID: recs}, Fetch: FetchPolicy{AllowLocal: true}})
	ctx := context.Background()
	if _, err := res.Model(ctx, 1); !errors.Is(err, ErrWeightsMismatch) {
		t.Fatalf("two layers registered as one: %v, want ErrWeightsMismatch", err)
	}
	for _, id := range []uint64{2, 3} {
		if _, err := res.Model(ctx, id); err != nil {
			t.Fatalf("model %d (widths %v): %v", id, recs[id].LayerWidths, err)
		}
	}
}

// TestAttackPinnedWeightsLeaveNoRoomForWonDatasets: a provider keeps the
// weights of every job it bids on (PinModel) and a won job's dataset is
// downloaded to the same disk cache (PrefetchDataset). A requester posting
// jobs on large models of its own (a bid window's worth) had the kept
// weights fill the whole budget; every won job's download then found no
// room, and its job waited (or, before that, downloaded in a fetch slot,
// which the attacker's trickling servers held). Kept weights now take at
// most half the budget: past it a pin fails (the agent does not bid) and
// the datasets of the jobs won have the other half.
func TestAttackPinnedWeightsLeaveNoRoomForWonDatasets(t *testing.T) {
	recs, size := distinctModelsOf(t, 4, 512) // 1 MiB each
	ds, _, _ := servedDataset(t, nil)
	ds.Id = 9
	budget := 4*size + 4096
	r := NewChainResolver(ResolverConfig{Models: modelreg.Records{ByID: recs}, Datasets: datasetsByID{ds: map[uint64]datamarkettypes.Dataset{9: ds}},
		Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}, CacheDir: filepath.Join(t.TempDir(), "cache"),
		CacheBytes: budget, Fetch: FetchPolicy{AllowLocal: true}})
	ctx := context.Background()
	pinned := 0
	for id := uint64(1); id <= 4; id++ {
		if _, err := r.Model(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := r.PinModel(ctx, id); err == nil {
			pinned++
		} else if !errors.Is(err, ErrCacheFull) {
			t.Fatal(err)
		}
	}
	if pinned != 2 {
		t.Errorf("%d of 4 models of %d bytes pinned in a cache of %d, want 2 (half the budget)", pinned, size, budget)
	}
	release, err := r.PrefetchDataset(ctx, ds.Id, 0)
	if err != nil {
		t.Fatalf("a won job's dataset beside the pinned weights: %v", err)
	}
	release()
}
