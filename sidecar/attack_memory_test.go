package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// countingBackend records the largest Dense output a check asks for and
// refuses (without allocating) any over limit values; smaller calls run on
// the CPU backend.
type countingBackend struct {
	limit int
	mu    sync.Mutex
	most  int
}

func (b *countingBackend) Name() string { return "counting" }

func (b *countingBackend) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) ([]float32, error) {
	b.mu.Lock()
	b.most = max(b.most, rows*out)
	b.mu.Unlock()
	if rows*out > b.limit {
		return nil, errors.New("counting backend: refused an allocation over the test's limit")
	}
	return cpu.New().Dense(ctx, x, rows, in, w, bias, out, relu)
}

// TestAttackSampledChunkActivationsAreUnbounded: hostile party: a provider
// (with a requester of its own, or winning any job on such a model). The
// provider agent refuses a job whose activations do not fit its memory
// budget (provider/bidlimits.go admitMemory, TestAttackMLPSampledChunkWorkIsBounded);
// the sidecar has no such bound: verifyMLP runs model.Forward over the
// sampled chunk's rows, and the only limit on an activation is
// workload.MaxDenseElements (2^31 values, 8 GiB per operand). The chain
// does not bound it either: it bounds a chunk's bytes and multiply-adds,
// not rows × the widest layer.
//
// Here, at the default params: a model 1→8192→1 (64 KiB of weights, 16384
// multiply-adds a row), a dataset of 2^18 rows of one column in one chunk
// of 2^18 rows, chunk_rows 2^18. A sampled chunk is 1 MiB of output and
// 1 MiB of input rows (2 MiB < max_chunk_bytes 4 MiB), 2^32 multiply-adds
// (< 2^37 a chunk, < 5·10^10 the verification budget): admitted. Its check
// makes every validator's sidecar allocate a 2^18 × 8192 activation, 8 GiB
// (16 GiB with the two default workers on two such jobs), from a 2.7 MiB
// response: a sidecar on a smaller host is killed for memory at every poll
// (the job is queued again after each restart), and every other job's
// verification stops with it. gemm-f32 is the same, without any model:
// M=1, N=1, K=2^31 (4-byte chunks, 2^31 multiply-adds) makes
// GemmJob.ComputeRows allocate Bᵀ (K·N) and A (rows·K), 16 GiB, before the
// backend is called.
//
// The counting backend refuses the call instead of allocating. Correct
// behaviour: the sidecar bounds what one sampled chunk may make it
// allocate (as the provider does with --max-memory-bytes, or the chain at
// admission) and never asks its backend for more than that; the test takes
// 1 GiB, the largest input the sidecar otherwise accepts
// (--max-fetch-bytes).
func TestAttackSampledChunkActivationsAreUnbounded(t *testing.T) {
	const rows, hidden = 1 << 18, 8192
	// The chain admits the job at its default params (one chunk, so one
	// sample; no assurance bought), its mul_adds from the recorded widths.
	params := computetypes.DefaultParams()
	shape := computetypes.WorkloadShape{Rows: rows, Cols: 1, MulAdds: rows * 2 * hidden, InputCols: 1, InputRowsPerChunk: rows}
	if err := params.AdmitJob(shape, rows, 10); err != nil {
		t.Fatalf("the chain refuses the job: %v", err)
	}
	if _, err := params.AdmitAssurance(computetypes.Assurance{}, shape, rows, 1); err != nil {
		t.Fatalf("the chain refuses the job's verification: %v", err)
	}
	w := make([]float32, hidden)
	for i := range w {
		w[i] = float32(i%5) * 0.125
	}
	model := &workload.Model{Layers: []workload.Layer{
		{In: 1, Out: hidden, Weight: w},
		{In: hidden, Out: 1, Weight: w},
	}}
	m := &workload.Matrix{Rows: rows, Cols: 1, Data: make([]float32, rows)}
	for i := range m.Data {
		m.Data[i] = float32(i%13) * 0.25
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := dataset.Root(m, rows)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := jobexec.CheckDataset(datamarkettypes.Dataset{
		Id: 3, Rows: rows, Cols: 1, RowsPerChunk: rows, ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Version: 1,
	}, npy, workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	// The provider's committed output: one chunk of 2^18 values (what they
	// are does not matter: the check never gets to compare them).
	out := make([]byte, 4*rows)
	tree, err := merkle.New([][]byte{out})
	if err != nil {
		t.Fatal(err)
	}
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := jobexec.NewChunkResponse(9, tree, 0, out)
		if err == nil {
			err = resp.AttachInputs(ds, rows)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(prov.Close)

	const limit = (1 << 30) / 4 // 1 GiB of float32
	b := &countingBackend{limit: limit}
	cfg := testConfig()
	cfg.MLP = mlpSource{model: model, ds: ds.Record}
	v := New(cfg, nil, b, quiet(), NewMetrics("counting"))
	spec := computetypes.WorkloadSpec{Kind: workload.KindMLP, Mlp: &computetypes.MlpSpec{ModelId: 2, DatasetId: 3}, ChunkRows: rows}
	r := tree.Root()
	pv := computetypes.PendingVerification{JobId: 9, Workload: spec, Indices: []uint64{0}, OutputRoot: r[:], ChunkCount: 1,
		ProviderEndpoint: prov.URL, MaxChunkBytes: 4 << 20}
	verdict, why := v.Verify(context.Background(), pv)
	b.mu.Lock()
	most := b.most
	b.mu.Unlock()
	if most > limit {
		t.Fatalf("one sampled chunk of %d rows (a %d-byte output and %d bytes of input rows) made the sidecar ask its backend "+
			"for a %d×%d activation: %d values, %d GiB (verdict %v: %s)",
			rows, len(out), len(npy), rows, hidden, most, int64(most)*4>>30, verdict, why)
	}
	// It cannot check the chunk: no vote without evidence.
	if verdict != computetypes.Verdict_VERDICT_UNSPECIFIED {
		t.Fatalf("a chunk too large to recompute: %v (%s), want an abstention", verdict, why)
	}
}
