package jobexec

import (
	"context"
	"errors"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// oneModel is a VerifySource of one model and one dataset record.
type oneModel struct {
	m  *workload.Model
	ds datamarkettypes.Dataset
}

func (s oneModel) Model(context.Context, uint64) (*workload.Model, error) { return s.m, nil }
func (s oneModel) DatasetRecord(context.Context, uint64, uint64) (datamarkettypes.Dataset, error) {
	return s.ds, nil
}

// A verifier refuses, before allocating anything, a sampled chunk whose
// recomputation holds more than MaxChunkExecValues (ErrChunkTooLarge), for
// gemm (K·N + rows × (K+N)) and mlp (rows × the widest layer's in + out),
// and takes the chunks just within it.
func TestChunkTooLargeIsRefusedBeforeAllocating(t *testing.T) {
	gemm := func(m, n, k, chunkRows uint64) computetypes.PendingVerification {
		return computetypes.PendingVerification{Workload: computetypes.WorkloadSpec{Kind: workload.KindGemm,
			Gemm: &computetypes.GemmSpec{M: m, N: n, K: k, Seed: 1}, ChunkRows: chunkRows}}
	}
	const most = MaxChunkExecValues
	for name, c := range map[string]struct {
		pv   computetypes.PendingVerification
		over bool
	}{
		"gemm K·N alone over":           {gemm(1, 1, 1<<31-1, 1), true},
		"gemm rows × (K+N) over":        {gemm(1<<20, 1, 1<<10, 1<<20), true},
		"gemm just within":              {gemm(1, 1, most/2-1, 1), false},
		"gemm small":                    {gemm(4, 4, 4, 2), false},
		"gemm chunk rows past the rows": {gemm(2, 1<<10, 1<<10, 1<<30), false},
	} {
		_, err := NewRecomputer(context.Background(), c.pv, nil, cpu.New())
		if got := errors.Is(err, ErrChunkTooLarge); got != c.over || (!c.over && err != nil) {
			t.Errorf("%s: %v (ErrChunkTooLarge expected: %v)", name, err, c.over)
		}
	}

	const hidden = 8192
	model := &workload.Model{Layers: []workload.Layer{
		{In: 1, Out: hidden, Weight: make([]float32, hidden)},
		{In: hidden, Out: 1, Weight: make([]float32, hidden)},
	}}
	root := make([]byte, 32)
	for name, c := range map[string]struct {
		rows, chunkRows uint64
		over            bool
	}{
		"mlp chunk over":             {1 << 18, 1 << 18, true},
		"mlp small chunks":           {1 << 18, 1 << 10, false},
		"mlp dataset smaller":        {1 << 10, 1 << 18, false},
		"mlp just within":            {most / (hidden + 1), most / (hidden + 1), false},
		"mlp one row past the bound": {most/(hidden+1) + 1, most/(hidden+1) + 1, true},
	} {
		src := oneModel{m: model, ds: datamarkettypes.Dataset{Id: 3, Rows: c.rows, Cols: 1, RowsPerChunk: c.rows, ContentRoot: root}}
		pv := computetypes.PendingVerification{Workload: computetypes.WorkloadSpec{Kind: workload.KindMLP,
			Mlp: &computetypes.MlpSpec{ModelId: 2, DatasetId: 3}, ChunkRows: c.chunkRows}}
		_, err := NewRecomputer(context.Background(), pv, src, cpu.New())
		if got := errors.Is(err, ErrChunkTooLarge); got != c.over || (!c.over && err != nil) {
			t.Errorf("%s: %v (ErrChunkTooLarge expected: %v)", name, err, c.over)
		}
	}
}

// providerModel is a ProviderSource of one model (sizing reads no dataset).
type providerModel struct{ m *workload.Model }

func (s providerModel) Model(context.Context, uint64) (*workload.Model, error) { return s.m, nil }
func (providerModel) Dataset(context.Context, uint64, uint64) (*workload.Matrix, error) {
	return nil, errors.New("not read in sizing")
}
func (providerModel) DatasetFile(context.Context, uint64, uint64) (*DatasetFile, error) {
	return nil, errors.New("not read in sizing")
}
func (providerModel) DatasetServed(context.Context, uint64, uint64) error { return nil }

// A provider does not bid on a job whose sampled chunks every verifier
// would refuse (ErrChunkTooLarge: each sidecar abstains, the job ends
// unpaid): sizing refuses it as the verifier does, and sizes the same model
// in chunks within the bound.
func TestSizingRefusesChunksNoVerifierChecks(t *testing.T) {
	const hidden = 8192
	model := &workload.Model{Layers: []workload.Layer{
		{In: 1, Out: hidden, Weight: make([]float32, hidden)},
		{In: hidden, Out: 1, Weight: make([]float32, hidden)},
	}}
	mlp := func(chunkRows uint64) computetypes.Job {
		return computetypes.Job{Rows: 1 << 18, Workload: computetypes.WorkloadSpec{Kind: workload.KindMLP,
			Mlp: &computetypes.MlpSpec{ModelId: 2, DatasetId: 3}, ChunkRows: chunkRows}}
	}
	gemm := func(k, chunkRows uint64) computetypes.Job {
		return computetypes.Job{Rows: 64, Workload: computetypes.WorkloadSpec{Kind: workload.KindGemm,
			Gemm: &computetypes.GemmSpec{M: 64, N: 1, K: k, Seed: 1}, ChunkRows: chunkRows}}
	}
	for name, c := range map[string]struct {
		job  computetypes.Job
		over bool
	}{
		"mlp one chunk of 2^18 rows": {mlp(1 << 18), true},
		"mlp chunks of 2^10 rows":    {mlp(1 << 10), false},
		"gemm K = 2^31-1":            {gemm(1<<31-1, 1), true},
		"gemm K = 2^20":              {gemm(1<<20, 1), false},
	} {
		_, err := SizeOf(context.Background(), c.job, providerModel{m: model})
		if got := errors.Is(err, ErrChunkTooLarge); got != c.over || (!c.over && err != nil) {
			t.Errorf("%s: %v (ErrChunkTooLarge expected: %v)", name, err, c.over)
		}
	}
}
