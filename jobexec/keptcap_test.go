package jobexec

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestKeptDatasetsCountAgainstTheWeightsHalf (found by review):
// keepIfPresent caps the weights a provider keeps at half the disk cache,
// and summed every kept file, the dataset versions of the executed jobs it
// holds (KeepDatasets) too. A provider whose held, executed jobs' datasets
// took more than half its cache (honestly, or a requester's cheap jobs over
// large datasets of its own, executed and held through their verification)
// failed every PinModel, however small the model and however much room was
// free: it bid on no mlp or gpt job ("disk") until those jobs ended. Now
// only kept weights count against their half; the datasets' room is
// checked at the bid (provider admitDatasetRoom).
func TestKeptDatasetsCountAgainstTheWeightsHalf(t *testing.T) {
	recs, size := distinctModelsOf(t, 1, 512)                                     // 1 MiB
	m := &workload.Matrix{Rows: 4096, Cols: 140, Data: make([]float32, 4096*140)} // 2.2 MiB
	for i := range m.Data {
		m.Data[i] = float32(i % 13)
	}
	ds, _, _ := serveMatrix(t, nil, m)
	ds.Id = 9
	budget := 4 * size
	r := NewChainResolver(ResolverConfig{Models: modelreg.Records{ByID: recs}, Datasets: datasetsByID{ds: map[uint64]datamarkettypes.Dataset{9: ds}},
		Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}, CacheDir: filepath.Join(t.TempDir(), "cache"),
		CacheBytes: budget, Fetch: FetchPolicy{AllowLocal: true}})
	ctx := context.Background()
	if _, err := r.Dataset(ctx, 9, 0); err != nil { // an executed job's dataset, on disk
		t.Fatal(err)
	}
	if err := r.KeepDatasets(ctx, []DatasetRef{{ID: 9, Version: ds.Version}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Model(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PinModel(ctx, 1); err != nil {
		used, b := r.CacheUsage()
		t.Fatalf("no weights kept, a %d-byte model refused beside a kept dataset (cache %d of %d bytes): %v", size, used, b, err)
	}
}
