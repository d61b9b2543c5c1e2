package jobexec

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

func testModel() *workload.Model {
	w0 := make([]float32, 15)
	for i := range w0 {
		w0[i] = float32(i%7)*0.25 - 0.8
	}
	return &workload.Model{Layers: []workload.Layer{
		{In: 3, Out: 5, Weight: w0, Bias: []float32{0.1, -0.2, 0.3, -0.4, 0.5}},
		{In: 5, Out: 2, Weight: []float32{1, -1, 0.5, 0.25, -0.5, 0.75, 0, 1, -1, 2}, Bias: []float32{0.05, -0.05}},
	}}
}

func testData() *workload.Matrix {
	m := &workload.Matrix{Rows: 40, Cols: 3, Data: make([]float32, 120)}
	for i := range m.Data {
		m.Data[i] = float32(i%11)*0.3 - 1.2
	}
	return m
}

// record describes a dataset file as x/datamarket would.
func record(t *testing.T, npy []byte, m *workload.Matrix, rpc int) datamarkettypes.Dataset {
	t.Helper()
	root, _, err := dataset.Root(m, rpc)
	if err != nil {
		t.Fatal(err)
	}
	return datamarkettypes.Dataset{
		Id: 1, Rows: uint64(m.Rows), Cols: uint64(m.Cols), RowsPerChunk: uint64(rpc),
		ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Version: 1,
	}
}

type fakeModels struct {
	modelregistrytypes.QueryClient
	model modelregistrytypes.Model
}

func (f fakeModels) Model(_ context.Context, in *modelregistrytypes.QueryModelRequest, _ ...grpc.CallOption) (*modelregistrytypes.QueryModelResponse, error) {
	if in.Id != f.model.Id {
		return nil, errors.New("model not found")
	}
	return &modelregistrytypes.QueryModelResponse{Model: f.model}, nil
}

type fakeDatasets struct {
	datamarkettypes.QueryClient
	ds datamarkettypes.Dataset
}

func (f fakeDatasets) Dataset(_ context.Context, in *datamarkettypes.QueryDatasetRequest, _ ...grpc.CallOption) (*datamarkettypes.QueryDatasetResponse, error) {
	if in.Id != f.ds.Id {
		return nil, errors.New("dataset not found")
	}
	return &datamarkettypes.QueryDatasetResponse{Dataset: f.ds}, nil
}

func TestInputsAttachAndVerify(t *testing.T) {
	m := testData()
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, npy, m, 6)
	ds, err := CheckDataset(rec, npy, workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 5; i++ {
		resp := ChunkResponse{Chunk: merkle.Chunk{Index: i}}
		if err := resp.AttachInputs(ds, 8); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		var back ChunkResponse
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		rows, n, err := back.VerifyInputs(rec.ContentRoot, 40, 3, 6, 8)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		r0 := int(i) * 8
		if n != 8 || len(rows) != 24 {
			t.Fatalf("chunk %d: %d rows, %d values", i, n, len(rows))
		}
		for k, v := range rows {
			if v != m.Data[r0*3+k] {
				t.Fatalf("chunk %d value %d = %v, want %v", i, k, v, m.Data[r0*3+k])
			}
		}
	}

	good := ChunkResponse{Chunk: merkle.Chunk{Index: 2}}
	if err := good.AttachInputs(ds, 8); err != nil {
		t.Fatal(err)
	}
	if first, last, _ := InputChunkRange(40, 8, 6, 2); first != 2 || last != 3 || len(good.Inputs) != 2 {
		t.Fatalf("chunk 2 covers dataset chunks %d..%d, served %d", first, last, len(good.Inputs))
	}
	clone := func() ChunkResponse {
		b, _ := json.Marshal(good)
		var c ChunkResponse
		_ = json.Unmarshal(b, &c)
		return c
	}
	tampered := clone()
	tampered.Inputs[1].Data[0] ^= 1
	dropped := clone()
	dropped.Inputs = dropped.Inputs[:1]
	reordered := clone()
	reordered.Inputs[0], reordered.Inputs[1] = reordered.Inputs[1], reordered.Inputs[0]
	badCount := clone()
	badCount.InputChunkCount = 6
	badProof := clone()
	badProof.Inputs[0].Proof[0] = "zz"
	for name, c := range map[string]ChunkResponse{
		"tampered": tampered, "dropped": dropped, "reordered": reordered, "bad count": badCount, "bad proof": badProof,
		"none": {Chunk: merkle.Chunk{Index: 2}},
	} {
		if _, _, err := c.VerifyInputs(rec.ContentRoot, 40, 3, 6, 8); err == nil {
			t.Errorf("%s inputs verified", name)
		}
	}
	otherRoot := append([]byte(nil), rec.ContentRoot...)
	otherRoot[0] ^= 1
	if _, _, err := good.VerifyInputs(otherRoot, 40, 3, 6, 8); err == nil {
		t.Error("inputs verified against another root")
	}
	if _, _, err := good.VerifyInputs(rec.ContentRoot[:5], 40, 3, 6, 8); err == nil {
		t.Error("inputs verified against a short root")
	}
}

func TestCheckDatasetRefusesMismatches(t *testing.T) {
	m := testData()
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, npy, m, 6)
	for name, edit := range map[string]func(*datamarkettypes.Dataset){
		"sha":  func(d *datamarkettypes.Dataset) { d.Sha256 = strings.Repeat("0", 64) },
		"rows": func(d *datamarkettypes.Dataset) { d.Rows = 41 },
		"cols": func(d *datamarkettypes.Dataset) { d.Cols = 4 },
		"root": func(d *datamarkettypes.Dataset) { d.ContentRoot = make([]byte, 32) },
		"rpc":  func(d *datamarkettypes.Dataset) { d.RowsPerChunk = 5 },
	} {
		r := rec
		r.ContentRoot = append([]byte(nil), rec.ContentRoot...)
		edit(&r)
		if _, err := CheckDataset(r, npy, workload.Limits{}); err == nil {
			t.Errorf("%s mismatch accepted", name)
		}
	}
}

func TestChainResolver(t *testing.T) {
	ctx := context.Background()
	model := testModel()
	weights, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	weightPath := filepath.Join(dir, "m.safetensors")
	if err := os.WriteFile(weightPath, weights, 0o644); err != nil {
		t.Fatal(err)
	}
	m := testData()
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	var downloads atomic.Int32
	var sawAddr, sawSig string
	dsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAddr, sawSig = r.Header.Get(signedreq.HeaderAddress), r.Header.Get(signedreq.HeaderSignature)
		if r.URL.Path != "/v1/datasets/1" || sawSig == "" {
			http.Error(w, `{"error":"missing_signature"}`, http.StatusUnauthorized)
			return
		}
		downloads.Add(1)
		_, _ = w.Write(npy)
	}))
	defer dsSrv.Close()
	rec := record(t, npy, m, 6)
	rec.Uri = dsSrv.URL
	signer := signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}
	mrec := modelregistrytypes.Model{Id: 4, Sha256: workload.SHA256Hex(weights), Uri: "file://" + weightPath, InputDim: 3, OutputDim: 2}
	cfg := ResolverConfig{
		Models: fakeModels{model: mrec}, Datasets: fakeDatasets{ds: rec},
		Signer: signer, CacheDir: filepath.Join(dir, "cache"), Fetch: FetchPolicy{AllowLocal: true},
	}
	r := NewChainResolver(cfg)

	got, err := r.Model(ctx, 4)
	if err != nil || got.InputDim() != 3 || got.OutputDim() != 2 {
		t.Fatalf("model: %v", err)
	}
	if _, err := r.Model(ctx, 5); err == nil {
		t.Fatal("unknown model resolved")
	}
	spec := computetypes.WorkloadSpec{Kind: workload.KindMLP, Mlp: &computetypes.MlpSpec{ModelId: 4, DatasetId: 1}, ChunkRows: 8}
	job, err := FromSpec(ctx, spec, r)
	if err != nil {
		t.Fatal(err)
	}
	want, err := workload.NewMLPJob(model, m, 8)
	if err != nil {
		t.Fatal(err)
	}
	gotRoot, _, err := workload.OutputRoot(ctx, job, workload.Reference{})
	if err != nil {
		t.Fatal(err)
	}
	wantRoot, _, err := workload.OutputRoot(ctx, want, workload.Reference{})
	if err != nil || gotRoot != wantRoot {
		t.Fatalf("resolved job root %x, want %x (%v)", gotRoot, wantRoot, err)
	}
	if sawAddr != signer.Address() || len(mustB64(t, sawSig)) != 64 || downloads.Load() != 1 {
		t.Fatalf("dataset request: address %q signature %q downloads %d", sawAddr, sawSig, downloads.Load())
	}

	// Cached: memory within the resolver, disk for a new one (no network, no file).
	if err := os.Remove(weightPath); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Dataset(ctx, 1, 0); err != nil || downloads.Load() != 1 {
		t.Fatalf("cached dataset: %v, downloads %d", err, downloads.Load())
	}
	r2 := NewChainResolver(cfg)
	if _, err := r2.Model(ctx, 4); err != nil {
		t.Fatalf("model from the disk cache: %v", err)
	}
	if _, err := r2.DatasetFile(ctx, 1, 0); err != nil || downloads.Load() != 1 {
		t.Fatalf("dataset from the disk cache: %v, downloads %d", err, downloads.Load())
	}

	// Refusals: a wrong digest, a wrong shape, an unknown scheme, no key.
	if err := os.WriteFile(weightPath, weights, 0o644); err != nil {
		t.Fatal(err)
	}
	local := FetchPolicy{AllowLocal: true}
	bad := mrec
	bad.Sha256 = strings.Repeat("ab", 32)
	if _, err := NewChainResolver(ResolverConfig{Models: fakeModels{model: bad}, Fetch: local}).Model(ctx, 4); err == nil {
		t.Error("weights with another sha256 accepted")
	}
	bad = mrec
	bad.OutputDim = 3
	if _, err := NewChainResolver(ResolverConfig{Models: fakeModels{model: bad}, Fetch: local}).Model(ctx, 4); err == nil {
		t.Error("weights of another shape accepted")
	}
	bad = mrec
	bad.Uri = "ftp://x/y"
	if _, err := NewChainResolver(ResolverConfig{Models: fakeModels{model: bad}, Fetch: local}).Model(ctx, 4); !errors.Is(err, ErrURIScheme) || errors.Is(err, ErrUnsupported) {
		t.Errorf("ftp uri: %v", err)
	}
	if _, err := NewChainResolver(ResolverConfig{Datasets: fakeDatasets{ds: rec}}).Dataset(ctx, 1, 0); !errors.Is(err, ErrUnsupported) {
		t.Errorf("dataset without a key: %v", err)
	}
	// Over HTTP.
	wSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(weights) }))
	defer wSrv.Close()
	httpRec := mrec
	httpRec.Uri = wSrv.URL + "/m.safetensors"
	if _, err := NewChainResolver(ResolverConfig{Models: fakeModels{model: httpRec}, Fetch: local}).Model(ctx, 4); err != nil {
		t.Errorf("model over http: %v", err)
	}
}

func mustB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
