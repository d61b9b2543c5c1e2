package provider

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

type fakeMLP struct {
	model *workload.Model
	ds    *jobexec.DatasetFile
}

func (f fakeMLP) Model(context.Context, uint64) (*workload.Model, error) { return f.model, nil }

func (f fakeMLP) Dataset(context.Context, uint64, uint64) (*workload.Matrix, error) {
	return f.ds.Matrix, nil
}

func (f fakeMLP) DatasetFile(_ context.Context, id, _ uint64) (*jobexec.DatasetFile, error) {
	if id != f.ds.Record.Id {
		return nil, errors.New("dataset not found")
	}
	return f.ds, nil
}

// TestChunkServerServesMLPInputs: an mlp job's chunk comes with the dataset
// rows it was computed from, each proven against the content root, and a
// verifier recomputes the chunk from them alone.
func TestChunkServerServesMLPInputs(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{
		{In: 2, Out: 3, Weight: []float32{1, -1, 0.5, 2, -0.25, 0.75}, Bias: []float32{0.1, 0, -0.1}},
		{In: 3, Out: 1, Weight: []float32{1, -2, 0.5}},
	}}
	m := &workload.Matrix{Rows: 23, Cols: 2, Data: make([]float32, 46)}
	for i := range m.Data {
		m.Data[i] = float32(i%9)*0.5 - 2
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := dataset.Root(m, 4)
	if err != nil {
		t.Fatal(err)
	}
	rec := datamarkettypes.Dataset{Id: 5, Rows: 23, Cols: 2, RowsPerChunk: 4, ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Version: 1}
	ds, err := jobexec.CheckDataset(rec, npy, workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	job, err := workload.NewMLPJob(model, m, 6)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := workload.ComputeChunks(context.Background(), job, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	store := NewChunkStore(dir)
	tree, err := store.Put(11, chunks)
	if err != nil {
		t.Fatal(err)
	}
	out := tree.Root()
	state, _ := LoadState(filepath.Join(dir, "state.json"))
	_ = state.Update(11, func(r *JobRecord) {
		r.Executed, r.ChunkCount, r.OutputRoot, r.DatasetID, r.ChunkRows = true, uint64(len(chunks)), out[:], 5, 6
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := &Agent{cfg: Config{MLP: fakeMLP{model: model, ds: ds}}, state: state, store: store, metrics: NewMetrics(), log: logger}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	for i := range chunks {
		res, err := http.Get(srv.URL + "/v1/jobs/11/chunks/" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		var cr jobexec.ChunkResponse
		err = json.NewDecoder(res.Body).Decode(&cr)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := cr.Verify(out[:], uint64(len(chunks)), uint64(i)); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		x, rows, err := cr.VerifyInputs(root[:], 23, 2, 4, 6)
		if err != nil {
			t.Fatalf("chunk %d inputs: %v", i, err)
		}
		y, err := model.Forward(context.Background(), cpu.New(), x, rows)
		if err != nil {
			t.Fatal(err)
		}
		if string(workload.EncodeFloats(y)) != string(cr.Data) {
			t.Fatalf("chunk %d: recomputation from the served rows differs", i)
		}
	}

	// An agent that lost its dataset source refuses rather than serving a
	// chunk without its rows.
	a.cfg.MLP = nil
	res, err := http.Get(srv.URL + "/v1/jobs/11/chunks/0")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		t.Fatal("mlp chunk served without its input rows")
	}
}
