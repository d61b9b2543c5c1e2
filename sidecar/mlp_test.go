package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

var mlpSpec = computetypes.WorkloadSpec{
	Kind: workload.KindMLP, Mlp: &computetypes.MlpSpec{ModelId: 2, DatasetId: 3}, ChunkRows: 8,
}

func mlpFixture(t *testing.T) (*workload.Model, *jobexec.DatasetFile) {
	t.Helper()
	w0 := make([]float32, 15)
	for i := range w0 {
		w0[i] = float32(i%7)*0.25 - 0.8
	}
	model := &workload.Model{Layers: []workload.Layer{
		{In: 3, Out: 5, Weight: w0, Bias: []float32{0.1, -0.2, 0.3, -0.4, 0.5}},
		{In: 5, Out: 2, Weight: []float32{1, -1, 0.5, 0.25, -0.5, 0.75, 0, 1, -1, 2}, Bias: []float32{0.05, -0.05}},
	}}
	m := &workload.Matrix{Rows: 37, Cols: 3, Data: make([]float32, 111)}
	for i := range m.Data {
		m.Data[i] = float32(i%11)*0.3 - 1.2
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := dataset.Root(m, 5)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := jobexec.CheckDataset(datamarkettypes.Dataset{
		Id: 3, Rows: 37, Cols: 3, RowsPerChunk: 5, ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Version: 1,
	}, npy, workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return model, ds
}

type mlpSource struct {
	model *workload.Model
	ds    datamarkettypes.Dataset
}

func (s mlpSource) Model(_ context.Context, id uint64) (*workload.Model, error) {
	if id != 2 {
		return nil, errors.New("model not found")
	}
	return s.model, nil
}

func (s mlpSource) DatasetRecord(_ context.Context, id, _ uint64) (datamarkettypes.Dataset, error) {
	if id != s.ds.Id {
		return datamarkettypes.Dataset{}, errors.New("dataset not found")
	}
	return s.ds, nil
}

// mlpProvider serves an mlp job's chunks with their input rows; corrupt
// flips a bit of one output chunk before the tree is built; tamper edits
// each response before it is sent.
func mlpProvider(t *testing.T, model *workload.Model, ds *jobexec.DatasetFile, corrupt int, tamper func(*jobexec.ChunkResponse)) (*httptest.Server, merkle.Hash, int) {
	t.Helper()
	job, err := workload.NewMLPJob(model, ds.Matrix, 8)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := workload.ComputeChunks(context.Background(), job, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	if corrupt >= 0 {
		chunks[corrupt][1] ^= 0x40
	}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/")
		i, _ := strconv.Atoi(parts[len(parts)-1])
		resp, err := jobexec.NewChunkResponse(9, tree, i, chunks[i])
		if err == nil {
			err = resp.AttachInputs(ds, 8)
		}
		if err != nil {
			http.Error(w, err.Error(), 404)
			return
		}
		if tamper != nil {
			tamper(&resp)
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, tree.Root(), len(chunks)
}

func TestMLPVerdicts(t *testing.T) {
	model, ds := mlpFixture(t)
	cfg := testConfig()
	cfg.MLP = mlpSource{model: model, ds: ds.Record}
	v := New(cfg, nil, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
	pv := func(url string, root merkle.Hash, n int, indices ...uint64) computetypes.PendingVerification {
		return computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, Indices: indices, OutputRoot: root[:],
			ChunkCount: uint64(n), ProviderEndpoint: url}
	}
	ctx := context.Background()

	honest, root, n := mlpProvider(t, model, ds, -1, nil)
	if n != 5 {
		t.Fatalf("%d chunks, want 5", n)
	}
	if got, why := v.Verify(ctx, pv(honest.URL, root, n, 0, 1, 2, 3, 4)); got != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("honest mlp provider: %v (%s)", got, why)
	}
	cheat, cheatRoot, _ := mlpProvider(t, model, ds, 3, nil)
	if got, why := v.Verify(ctx, pv(cheat.URL, cheatRoot, n, 0, 3)); got != computetypes.Verdict_VERDICT_INVALID {
		t.Fatalf("corrupted mlp chunk: %v (%s)", got, why)
	}
	// Input rows that do not verify against the content root, or are
	// missing, leave the result unproven: UNAVAILABLE.
	forged, forgedRoot, _ := mlpProvider(t, model, ds, -1, func(r *jobexec.ChunkResponse) {
		d := append([]byte(nil), r.Inputs[0].Data...) // the served slice is the dataset's own
		d[2] ^= 1
		r.Inputs[0].Data = d
	})
	if got, why := v.Verify(ctx, pv(forged.URL, forgedRoot, n, 1)); got != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("forged input rows: %v (%s)", got, why)
	}
	bare, bareRoot, _ := mlpProvider(t, model, ds, -1, func(r *jobexec.ChunkResponse) { r.Inputs = nil })
	if got, why := v.Verify(ctx, pv(bare.URL, bareRoot, n, 1)); got != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("no input rows: %v (%s)", got, why)
	}
	// Without an MLP source, or with an unknown model, the sidecar abstains.
	noMLP := newVerifier(nil)
	if got, _ := noMLP.Verify(ctx, pv(honest.URL, root, n, 0)); got != computetypes.Verdict_VERDICT_UNSPECIFIED {
		t.Fatalf("sidecar without an MLP source: %v", got)
	}
	unknown := pv(honest.URL, root, n, 0)
	unknown.Workload = computetypes.WorkloadSpec{Kind: workload.KindMLP, Mlp: &computetypes.MlpSpec{ModelId: 8, DatasetId: 3}, ChunkRows: 8}
	if got, _ := v.Verify(ctx, unknown); got != computetypes.Verdict_VERDICT_UNSPECIFIED {
		t.Fatalf("unknown model: %v", got)
	}
}
