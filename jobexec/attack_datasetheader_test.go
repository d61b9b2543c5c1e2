package jobexec

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackDatasetHeaderValidatorsNeverSeeForfeitsTheWinnersCollateral:
// a hostile dataset owner (the requester, or its accomplice) registers a
// version whose record is truthful about everything the chain and the
// validators can check (the file's sha256, rows, cols, rows_per_chunk and
// the content root over the rows' bytes) but whose .npy header the winner's
// parser refuses: the other 4-byte dtype than the recorded format (a
// gpt-f32 prompt dataset, npy-i32, served as a '<f4' file holding the very
// same token bytes; an npy-f32 dataset served as '<i4'), a header over
// workload.MaxNPYHeaderBytes (2 MiB of legal padding), or a header shape
// other than the recorded one over the same bytes ((120, 1) for 40×3
// rows). The chain cannot
// look inside the file, and the validators never read it: their input
// check (CheckInputs → checkGPTInputs / checkMLPInputs, and the sidecar's
// probe of the server) reads only the record, and when they verify a chunk
// they check the served rows against the content root and decode them as
// the kind says (VerifyInputBytes is header-blind). The winner downloads
// the file and CheckDataset refuses it on every try (CheckFormat, or
// npyLayout's header limit): it aborts, the validators find the inputs
// available, the abort is ruled a timeout and the winner forfeits its
// collateral; the pair gains the dataset fee (x/compute README, "What
// remains"). The pattern of TestAttackMLPNaNDatasetForfeitsTheWinnersCollateral
// and TestAttackMLPLargeNPYHeaderForfeitsTheWinnersCollateral, whose fixes
// moved the header threshold but left everything the header says unseen
// by the validators. Now the winner reads the rows as the record lays them
// out, whatever the header says (CheckDataset → dataset.DescribeRecord),
// and a file with more than workload.MaxNPYPrefixBytes before its rows,
// which its download cuts, is not served (dataset.CheckLength, which a
// dataset server applies to its files): the validators' probe finds it
// unavailable.
func TestAttackDatasetHeaderValidatorsNeverSeeForfeitsTheWinnersCollateral(t *testing.T) {
	t.Run("gpt prompts in an <f4 file", func(t *testing.T) {
		ctx := context.Background()
		f := newGPTFixture(t)
		// The same prompt bytes, framed as '<f4'.
		m := &workload.Matrix{Rows: f.prompts.Rows, Cols: f.prompts.Cols, Data: make([]float32, len(f.prompts.Data))}
		for i, tok := range f.prompts.Data {
			m.Data[i] = math.Float32frombits(uint32(tok))
		}
		file, err := workload.EncodeNPY(m)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := dataset.Describe(file, 4)
		if err != nil {
			t.Fatal(err)
		}
		if string(desc.Root()) != string(f.rec.ContentRoot) {
			t.Fatal("setup: the <f4 framing changed the rows' bytes")
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(file) }))
		defer srv.Close()
		rec := f.rec // the record the owner registers: npy-i32, the rows' shape and root, the file's sha256
		rec.Sha256, rec.Uri = desc.Sha256, srv.URL

		weights, err := workload.EncodeGPTSafetensors(f.model)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "gpt.safetensors")
		if err := os.WriteFile(path, weights, 0o644); err != nil {
			t.Fatal(err)
		}
		mrec := modelregistrytypes.Model{Id: 7, Architecture: workload.KindGPT, Sha256: workload.SHA256Hex(weights),
			Uri: "file://" + path, InputDim: 256, OutputDim: 256, Gpt: &testGPTConfig}
		cfg := ResolverConfig{Models: fakeModels{model: mrec}, Datasets: fakeDatasets{ds: rec}, Fetch: FetchPolicy{AllowLocal: true}}
		verifier := NewChainResolver(cfg)
		cfg.Signer = signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
		provider := NewChainResolver(cfg)

		spec := computetypes.WorkloadSpec{Kind: workload.KindGPT, ChunkRows: 3,
			Gpt: &computetypes.GptSpec{ModelId: 7, DatasetId: rec.Id, MaxNewTokens: 5}}
		_, provErr := FromJob(ctx, spec, rec.Version, provider)

		pv := computetypes.PendingVerification{JobId: 9, InputsCheck: true, ModelId: 7, DatasetId: rec.Id,
			DatasetVersion: rec.Version, DatasetContentRoot: rec.ContentRoot, Workload: spec}
		valErr := CheckInputs(ctx, pv, verifier, &rec)

		// And what a verifier checks of a served chunk: the rows against the
		// content root, decoded as prompts whatever the header said.
		pv.InputsCheck = false
		rc, err := NewRecomputer(ctx, pv, verifier, workload.Reference{})
		if err != nil {
			t.Fatal(err)
		}
		resp := ChunkResponse{JobID: 9}
		resp.Index = 1
		if err := resp.AttachInputs(&DatasetFile{Record: rec, Description: desc}, spec.ChunkRows); err != nil {
			t.Fatal(err)
		}
		checkErr := rc.Check(resp)

		t.Logf("winner's build: %v; validators' input check: %v; verifier's check of served rows: %v", provErr, valErr, checkErr)
		if provErr != nil && valErr == nil && checkErr == nil {
			t.Fatalf("the winner refuses the dataset (%v) whose rows the validators find available and verify against the content root: the winner's abort is ruled a timeout and its collateral forfeited", provErr)
		}
	})

	t.Run("mlp rows in an <i4 file", func(t *testing.T) {
		ctx := context.Background()
		m := testData()
		ints := &workload.TokenMatrix{Rows: m.Rows, Cols: m.Cols, Data: make([]int32, len(m.Data))}
		for i, v := range m.Data {
			ints.Data[i] = int32(math.Float32bits(v))
		}
		file, err := workload.EncodeNPYInt32(ints)
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, file, m, 6) // the owner's record: the rows' shape and root, the file's sha256
		rec.Format = datamarkettypes.FormatNpyF32

		mlpChecksAgree(ctx, t, rec, file)
	})

	t.Run("mlp rows behind a 2 MiB header", func(t *testing.T) {
		// A format 2.0 header of 2 MiB of legal padding: the rows, the
		// sha256 and the content root are as recorded.
		ctx := context.Background()
		m := testData()
		file := npyV2Padded(m, 2<<20)
		rec := record(t, file, m, 6)
		rec.Format = datamarkettypes.FormatNpyF32

		mlpChecksAgree(ctx, t, rec, file)
	})

	t.Run("mlp rows behind a header of another shape", func(t *testing.T) {
		// The 40×3 rows framed as (120, 1): the same bytes after the header.
		ctx := context.Background()
		m := testData()
		file, err := workload.EncodeNPY(&workload.Matrix{Rows: m.Rows * m.Cols, Cols: 1, Data: m.Data})
		if err != nil {
			t.Fatal(err)
		}
		rec := record(t, file, m, 6)
		rec.Format = datamarkettypes.FormatNpyF32

		mlpChecksAgree(ctx, t, rec, file)
	})
}

// TestDatasetPrefixBoundIsTheDownloadsBound: the winner's CheckDataset
// and dataset.CheckLength (what a server serves) draw the line at the same byte as
// the download (rows·cols·4 + workload.MaxNPYPrefixBytes): a file with
// exactly that much before its rows loads and is available, one byte more
// is refused by both.
func TestDatasetPrefixBoundIsTheDownloadsBound(t *testing.T) {
	m := testData()
	body := workload.EncodeFloats(m.Data)
	for _, tc := range []struct {
		prefix int
		ok     bool
	}{{0, true}, {workload.MaxNPYPrefixBytes, true}, {workload.MaxNPYPrefixBytes + 1, false}} {
		file := append(make([]byte, tc.prefix), body...)
		rec := record(t, file, m, 6)
		rec.Format = datamarkettypes.FormatNpyF32
		_, provErr := CheckDataset(rec, file, workload.Limits{})
		valErr := dataset.CheckLength(rec.Rows, rec.Cols, int64(len(file)))
		if (provErr == nil) != tc.ok || (valErr == nil) != tc.ok {
			t.Fatalf("prefix of %d bytes: winner %v, server %v; want accepted=%v by both", tc.prefix, provErr, valErr, tc.ok)
		}
		if !tc.ok && (!errors.Is(provErr, workload.ErrTooLarge) || !errors.Is(valErr, workload.ErrTooLarge)) {
			t.Fatalf("prefix of %d bytes: want ErrTooLarge from both, got %v and %v", tc.prefix, provErr, valErr)
		}
	}
	rec := record(t, body, m, 6)
	if err := dataset.CheckLength(rec.Rows, rec.Cols, int64(len(body)-1)); !errors.Is(err, workload.ErrShape) {
		t.Fatalf("a file shorter than its rows: %v, want ErrShape", err)
	}
}

// mlpChecksAgree fails t when the winner's dataset check (CheckDataset)
// refuses file while the validators' input check of an aborted mlp job on
// rec finds the inputs available. The validators' check is the sidecar's
// probe of the dataset server, which holds a version only in a file the
// winner can load (dataset.CheckLength on the file's length), and
// CheckInputs.
func mlpChecksAgree(ctx context.Context, t *testing.T, rec datamarkettypes.Dataset, file []byte) {
	t.Helper()
	_, provErr := CheckDataset(rec, file, workload.Limits{})
	pv := computetypes.PendingVerification{
		JobId: 9, InputsCheck: true, ModelId: 3, DatasetId: rec.Id, DatasetVersion: rec.Version,
		Workload: computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 8,
			Mlp: &computetypes.MlpSpec{ModelId: 3, DatasetId: rec.Id}},
	}
	valErr := errors.Join(dataset.CheckLength(rec.Rows, rec.Cols, int64(len(file))),
		CheckInputs(ctx, pv, oneModelSource{model: testModel(), rec: rec}, &rec))
	t.Logf("winner's dataset check: %v; validators' input check: %v", provErr, valErr)
	if provErr != nil && valErr == nil {
		t.Fatalf("the winner cannot load the dataset (%v) but the validators' input check finds the inputs available: the winner's abort is ruled a timeout and its collateral forfeited", provErr)
	}
}
