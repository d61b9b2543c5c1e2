package jobexec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackDatasetInOneRowChunksBloatsTheWinnersMemory: a hostile dataset
// owner lists a one-column dataset cut into chunks of one row
// (rows_per_chunk 1: the chain takes any chunking from 1 to the rows), and
// posts, as a requester, an mlp-f32 job on it through a 1→1 model. Its
// values are within the parser's limit, so a provider bids (its memory
// admission counts no dataset beyond that limit), wins and loads it. But
// the resolver holds, besides the file and its decoded values, a view of
// every chunk (a 24-byte slice header) and the Merkle tree over them (two
// 32-byte hashes a chunk): 88 bytes for every 4-byte row, 24 times the
// values. At full scale (2^28 − 2^18 − 4 rows, 1 GiB of values, chunks of 4096
// rows: 65,472 output chunks, within the chain's max_chunk_count and
// max_chunk_bytes) one load holds about 24 GiB, and the datasets cache keeps
// four: the agent is OOM-killed, and every job it holds times out, its
// collateral lost. Here, at 2^18 rows under a parser limit of their values,
// the load held about 25 MiB. Now a version whose chunk index
// (datasetIndexBytes) exceeds the largest values the resolver parses is
// refused alike by the sizing before a bid and by the load, before it
// allocates (ErrDatasetMemory); the same file in chunks of 4096 rows is
// bid on and loads within the bound.
func TestAttackDatasetInOneRowChunksBloatsTheWinnersMemory(t *testing.T) {
	const rows, chunkRows = 1 << 18, 64
	full := uint64(1<<28 - 1<<18 - 4)
	for _, c := range []struct{ rows, chunkRows uint64 }{{rows, chunkRows}, {full, 4096}} {
		if err := chainAdmitsOneRowChunks(c.rows, c.chunkRows); err != nil {
			t.Fatalf("the chain refuses the attack's job of %d rows: %v", c.rows, err)
		}
	}
	if vals := valuesBytes(full, 1); vals > inputLimit(workload.Limits{}) {
		t.Fatalf("the full-scale dataset (%d bytes of values) is over the default parser limit", vals)
	}

	m := &workload.Matrix{Rows: rows, Cols: 1, Data: make([]float32, rows)}
	for i := range m.Data {
		m.Data[i] = float32(i%97) * 0.5
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	dsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(npy) }))
	defer dsrv.Close()
	fine, honest := record(t, npy, m, 1), record(t, npy, m, 4096)
	fine.Uri, honest.Uri, honest.Id = dsrv.URL, dsrv.URL, 2

	model := &workload.Model{Layers: []workload.Layer{{In: 1, Out: 1, Weight: []float32{2}, Bias: []float32{0}}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	msrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(file) }))
	defer msrv.Close()

	r := NewChainResolver(ResolverConfig{
		Models:   modelreg.Of(modelregistrytypes.Model{Id: 7, Sha256: workload.SHA256Hex(file), Uri: msrv.URL, InputDim: 1, OutputDim: 1}),
		Datasets: datasetsByID{ds: map[uint64]datamarkettypes.Dataset{fine.Id: fine, honest.Id: honest}},
		Signer:   signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		Fetch:    FetchPolicy{AllowLocal: true},
		// The parser takes these rows' values and no more.
		Limits: workload.Limits{MaxFileBytes: workload.MaxNPYPrefixBytes + 4*rows},
	})
	// The file as downloaded (its buffer up to twice its bytes), its values
	// decoded, a chunk index as large as the values, and room to spare.
	bound := 6 * r.MaxInputBytes()
	for _, rec := range []datamarkettypes.Dataset{honest, fine} {
		bid, loaded, held := winnerLoads(t, r, rec, chunkRows)
		t.Logf("rows_per_chunk %d: sized %v, loaded %v, held %d KiB (bound %d KiB)", rec.RowsPerChunk, bid, loaded, held>>10, bound>>10)
		switch {
		case bid != nil && !errors.Is(bid, ErrDatasetMemory):
			t.Fatalf("rows_per_chunk %d: sizing failed: %v", rec.RowsPerChunk, bid)
		case (bid == nil) != (loaded == nil):
			t.Fatalf("rows_per_chunk %d: the sizing says %v, the load %v: a winner would abort a job the validators find available",
				rec.RowsPerChunk, bid, loaded)
		case loaded == nil && held > bound:
			t.Fatalf("rows_per_chunk %d: the provider bid on a dataset of %d KiB of values (its parser's limit) and its load held %d KiB, "+
				"%.0f× its values: its chunk views and Merkle tree are counted nowhere", rec.RowsPerChunk, r.MaxInputBytes()>>10, held>>10,
				float64(held)/float64(r.MaxInputBytes()))
		case rec.Id == honest.Id && bid != nil:
			t.Fatalf("the same file in chunks of %d rows is refused: %v", rec.RowsPerChunk, bid)
		}
	}
}

// chainAdmitsOneRowChunks is the chain's admission of an mlp-f32 job
// through a 1→1 model over a one-column dataset of rows rows in chunks of
// one row.
func chainAdmitsOneRowChunks(rows, chunkRows uint64) error {
	widths := []uint64{1, 1}
	shares := []common.Share{{Address: sdk.AccAddress(make([]byte, 20)).String(), Weight: 1}}
	mterms := common.ModelTerms{Architecture: workload.KindMLP, InputDim: 1, OutputDim: 1,
		RowMulAdds: modelregistrytypes.RowMulAdds(widths), Layers: modelregistrytypes.MLPLayers(widths),
		RowValues: modelregistrytypes.RowValues(widths), Fee: sdk.NewCoins(), Shares: shares}
	dterms := common.DatasetTerms{Version: 1, Rows: rows, Cols: 1, RowsPerChunk: 1, ContentRoot: make([]byte, 32),
		Fee: sdk.NewCoins(), Shares: shares}
	spec := computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: chunkRows, Mlp: &computetypes.MlpSpec{ModelId: 7, DatasetId: 1}}
	st := computetypes.KindState{Models: termsModels{terms: mterms}, Datasets: termsDatasets{terms: dterms}}
	_, terms, err := computetypes.ResolveWorkload(context.Background(), st, spec, "aic1req")
	if err != nil {
		return err
	}
	p := computetypes.DefaultParams()
	if n := (rows-1)/chunkRows + 1; n > p.MaxChunkCount {
		return errors.New("more output chunks than max_chunk_count")
	}
	return p.AdmitJob(terms.Shape, chunkRows, 1000)
}

// winnerLoads sizes an mlp-f32 job over rec as a provider does before it
// bids, then loads rec as the job's winner does, and returns the sizing's
// error, the load's and the heap the loaded version holds.
func winnerLoads(t *testing.T, r *ChainResolver, rec datamarkettypes.Dataset, chunkRows uint64) (bid, loaded error, held uint64) {
	t.Helper()
	ctx := context.Background()
	job := computetypes.Job{Id: rec.Id, Rows: rec.Rows, DatasetVersion: rec.Version, Workload: computetypes.WorkloadSpec{
		Kind: workload.KindMLP, ChunkRows: chunkRows, Mlp: &computetypes.MlpSpec{ModelId: 7, DatasetId: rec.Id}}}
	if _, bid = SizeOf(ctx, job, r); bid != nil {
		t.Logf("sizing: %v", bid)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, loaded := r.DatasetFile(ctx, rec.Id, rec.Version)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(f)
	if after.HeapAlloc > before.HeapAlloc {
		held = after.HeapAlloc - before.HeapAlloc
	}
	return bid, loaded, held
}
