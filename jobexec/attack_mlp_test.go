package jobexec

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// countingBackend counts the Dense calls (kernel calls) a computation makes.
// countingBackend counts its Dense calls, their products (rows·in·out),
// their outputs (rows·out) and the weights they read (in·out, once a call).
type countingBackend struct {
	inner                      workload.Backend
	calls                      atomic.Int64
	products, outputs, weights atomic.Int64
}

func (b *countingBackend) Name() string { return "counting" }

func (b *countingBackend) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) ([]float32, error) {
	b.calls.Add(1)
	b.products.Add(int64(rows * in * out))
	b.outputs.Add(int64(rows * out))
	b.weights.Add(int64(in * out))
	return b.inner.Dense(ctx, x, rows, in, w, bias, out, relu)
}

type termsModels struct {
	computetypes.ModelKeeper
	terms common.ModelTerms
}

func (f termsModels) ModelTermsForJob(context.Context, uint64, uint64) (common.ModelTerms, error) {
	return f.terms, nil
}

type termsDatasets struct {
	computetypes.DatasetKeeper
	terms common.DatasetTerms
}

func (f termsDatasets) DatasetTermsForJob(context.Context, uint64, string, uint64) (common.DatasetTerms, error) {
	return f.terms, nil
}

// TestAttackMLPTinyLayersChargedBelowTheirKernelCalls: a hostile model
// owner / requester registers an mlp-f32 model of MaxMLPLayers (1024) layers
// of width 1 (input_dim = output_dim = 1, every hidden width 1: it passes
// ValidateLayerWidths) and posts a job over a 1-column dataset in chunks of
// one row. The chain charges an mlp job its products alone, rows × Σ in·out
// (x/modelregistry/types.RowMulAdds, x/compute/types.mlpWork): 1024
// multiply-adds a chunk. But every sampled chunk a verifier recomputes is
// 1024 kernel calls (one Dense per layer, verifyMLP → Model.Forward), each
// of which the chain's own gpt-f32 rule prices at GPTCallMulAdds = 1024
// multiply-adds (docs/gpt-f32.md §6, measured at 50–130 ns on one value on
// the CPU backend; a GPU launch costs more). This is exactly the
// "tiny layers" attack that was fixed for gpt-f32
// (TestAttackOneTokenPromptsCostMoreThanTheirWork), still open for mlp-f32:
// a chunk's verification costs ≥ 1024× its charge, so the verification
// budget, the exec window and the per-GFLOP price are all sized for a
// thousandth of the work the verifiers (and a per-chunk provider) do.
// Now an mlp job is charged as a gpt job is: GPTCallMulAdds per layer per
// chunk, and MLPOutputMulAdds per output besides its products
// (workload.MLPWork).
func TestAttackMLPTinyLayersChargedBelowTheirKernelCalls(t *testing.T) {
	ctx := context.Background()
	const layers = modelregistrytypes.MaxMLPLayers
	widths := make([]uint64, layers+1)
	for i := range widths {
		widths[i] = 1
	}
	if err := modelregistrytypes.ValidateLayerWidths(modelregistrytypes.ArchitectureMLPF32, 1, 1, widths); err != nil {
		t.Fatalf("the attack's model is not registrable: %v", err)
	}

	// The chain's charge for the job (as the keeper builds its terms).
	const rows = 1 << 16
	shares := []common.Share{{Address: sdk.AccAddress(make([]byte, 20)).String(), Weight: 1}}
	mterms := common.ModelTerms{Architecture: workload.KindMLP, InputDim: 1, OutputDim: 1,
		RowMulAdds: modelregistrytypes.RowMulAdds(widths), Layers: modelregistrytypes.MLPLayers(widths),
		RowValues: modelregistrytypes.RowValues(widths), Fee: sdk.NewCoins(), Shares: shares}
	dterms := common.DatasetTerms{Version: 1, Rows: rows, Cols: 1, RowsPerChunk: 1, ContentRoot: []byte{7},
		Fee: sdk.NewCoins(), Shares: shares}
	spec := computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 1,
		Mlp: &computetypes.MlpSpec{ModelId: 3, DatasetId: 5}}
	_, terms, err := computetypes.ResolveWorkload(ctx, computetypes.KindState{Models: termsModels{terms: mterms}, Datasets: termsDatasets{terms: dterms}}, spec, "aic1req")
	if err != nil {
		t.Fatalf("the chain refuses the attack's job: %v", err)
	}
	chunks := uint64(rows)
	chargedPerChunk := terms.Shape.MulAdds / chunks

	// What a verifier does for one sampled chunk: Model.Forward of its row.
	m := &workload.Model{}
	for i := 0; i < layers; i++ {
		m.Layers = append(m.Layers, workload.Layer{In: 1, Out: 1, Weight: []float32{1}, Bias: []float32{0.5}})
	}
	data := &workload.Matrix{Rows: rows, Cols: 1, Data: make([]float32, rows)}
	job, err := workload.NewMLPJob(m, data, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := &countingBackend{inner: cpu.New()}
	if _, err := workload.ComputeChunk(ctx, job, b, 0); err != nil {
		t.Fatal(err)
	}
	calls := uint64(b.calls.Load())
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := workload.ComputeChunk(ctx, job, b, 7); err != nil {
			t.Fatal(err)
		}
	})
	done := calls * workload.GPTCallMulAdds
	t.Logf("job of %d one-row chunks: charged %d multiply-adds (%d a chunk); one chunk is %d kernel calls (%d multiply-adds by the gpt-f32 call rule), %.0f allocations",
		rows, terms.Shape.MulAdds, chargedPerChunk, calls, done, allocs)
	if chargedPerChunk < done {
		t.Fatalf("a chunk of %d kernel calls is charged %d multiply-adds, want ≥ %d (GPTCallMulAdds per call): %d× undercharged",
			calls, chargedPerChunk, done, done/max(chargedPerChunk, 1))
	}
}

// oneModelSource is a validator's source: one model, one dataset record.
type oneModelSource struct {
	model *workload.Model
	rec   datamarkettypes.Dataset
}

func (s oneModelSource) Model(context.Context, uint64) (*workload.Model, error) { return s.model, nil }

func (s oneModelSource) DatasetRecord(context.Context, uint64, uint64) (datamarkettypes.Dataset, error) {
	return s.rec, nil
}

// TestAttackMLPNaNDatasetForfeitsTheWinnersCollateral: a hostile
// requester who owns (or colludes with the owner of) an npy-f32 dataset
// registers a version whose file holds one NaN among otherwise ordinary
// rows. The chain cannot look inside the file: it records the sha256,
// shape and content root the owner computed (dataset.Root accepts the NaN).
// The requester posts an mlp-f32 job over it. The winner downloads the file
// and CheckDataset (ParseNPY: "finite values only") refuses it, every
// retry, so the winner aborts (MsgAbortJob, inputs unavailable). The
// validators' input check (jobexec.CheckInputs → checkMLPInputs) never
// looks at the values: model loads, columns match, the server holds the
// version, so they vote INPUTS_AVAILABLE and the abort "costs the
// collateral like a timeout" (provider/abort.go). The verifier path would
// even have recomputed a chunk over those rows (VerifyInputs decodes NaNs
// without complaint; the arithmetic rule defines NaN results). The
// requester makes every honest winner forfeit its collateral at will: the
// provider cannot run inputs that the validators rule available. Now the
// parser takes every float32 of a dataset, NaN and ±Inf included, as the
// verifiers do; only model weights must be finite.
func TestAttackMLPNaNDatasetForfeitsTheWinnersCollateral(t *testing.T) {
	ctx := context.Background()
	m := testData()
	m.Data[17] = float32(math.NaN())
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, npy, m, 6) // as the owner registers it on chain
	rec.Format = "npy-f32"

	_, provErr := CheckDataset(rec, npy, workload.Limits{})

	model := testModel()
	pv := computetypes.PendingVerification{
		JobId: 9, InputsCheck: true, ModelId: 3, DatasetId: rec.Id, DatasetVersion: rec.Version,
		Workload: computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 8,
			Mlp: &computetypes.MlpSpec{ModelId: 3, DatasetId: rec.Id}},
	}
	valErr := CheckInputs(ctx, pv, oneModelSource{model: model, rec: rec}, &rec)
	t.Logf("winner's dataset check: %v; validators' input check: %v", provErr, valErr)
	if provErr != nil && valErr == nil {
		t.Fatalf("the winner cannot load the dataset (%v) but the validators' input check finds the inputs available: the winner's abort is ruled a timeout and its collateral forfeited", provErr)
	}
}

// npyV2Padded frames m as a format 2.0 .npy file whose header is padded with
// spaces to hdrLen bytes (numpy's reader and workload's parser take any
// padding; workload's up to Limits.MaxHeaderBytes, 1 MiB by default).
func npyV2Padded(m *workload.Matrix, hdrLen int) []byte {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", m.Rows, m.Cols)
	hdr := dict + strings.Repeat(" ", hdrLen-len(dict)-1) + "\n"
	out := append([]byte("\x93NUMPY"), 2, 0)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(hdr)))
	out = append(out, hdr...)
	return append(out, workload.EncodeFloats(m.Data)...)
}

// TestAttackMLPLargeNPYHeaderForfeitsTheWinnersCollateral: a hostile
// dataset owner (the requester, or its accomplice) publishes a version as a
// format 2.0 .npy file with a 100 kB header (spaces: legal padding). Every
// parser in aichain accepts it (workload.ParseNPY takes headers up to
// Limits.MaxHeaderBytes = 1 MiB; dataset.Describe computes its record), so
// the chain records a truthful sha256, shape and content root. But the
// winner's download is cut at rows·cols·4 + dataserver.MaxNPYHeader
// (65,545 bytes: a format 1.0 header, "larger 2.0 headers are refused by the
// parsers anyway", which they are not): ChainResolver.Dataset fails on
// every try, the winner aborts, and the validators' input check (a probe
// of the server, which holds the version) finds the inputs available: the
// abort is a timeout and the winner's collateral is forfeited, the
// requester compensated (x/compute README: the pair gains the dataset fee
// F per job). Now one constant bounds both: the parser takes a .npy header
// of at most workload.MaxNPYHeaderBytes, and the download reads the values
// and workload.MaxNPYPrefixBytes.
func TestAttackMLPLargeNPYHeaderForfeitsTheWinnersCollateral(t *testing.T) {
	ctx := context.Background()
	m := testData()
	file := npyV2Padded(m, 100_000)
	rec := record(t, file, m, 6)
	rec.Format = "npy-f32"
	if _, err := CheckDataset(rec, file, workload.Limits{}); err != nil {
		t.Fatalf("the crafted file is not a valid dataset to aichain's own parser: %v", err)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(file)
	}))
	defer srv.Close()
	rec.Uri = srv.URL
	dir := t.TempDir()
	r := NewChainResolver(ResolverConfig{
		Datasets: fakeDatasets{ds: rec},
		Signer:   signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"},
		CacheDir: filepath.Join(dir, "cache"), Fetch: FetchPolicy{AllowLocal: true},
	})
	_, err := r.Dataset(ctx, rec.Id, rec.Version)
	t.Logf("file of %d bytes (%d of rows); winner's load: %v", len(file), len(m.Data)*4, err)
	if err != nil {
		t.Fatalf("a dataset version every aichain parser accepts cannot be loaded by its job's winner (%v): the abort is ruled a timeout", err)
	}
}
