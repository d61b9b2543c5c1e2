package jobexec

import (
	"errors"
	"fmt"
	"math"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// ErrChunkTooLarge is a sampled chunk whose recomputation would hold more
// than MaxChunkExecValues float32 values: a verifier refuses it before it
// allocates anything, and abstains (it cannot check the chunk).
var ErrChunkTooLarge = errors.New("recomputing the chunk would hold more memory than a verifier allows")

// MaxChunkExecValues is the most float32 values one sampled chunk's
// recomputation may hold: the chain's computetypes.MaxChunkExecBytes, which
// it holds every job it admits to now. A job created before that rule, or
// on an mlp model registered before the chain recorded layer widths, is not
// bounded by the chain; a verifier bounds it here. Without it, a model
// 1→8192→1 over a chunk of 2^18 rows (a 2 MiB response) made every sidecar
// allocate an 8 GiB activation, and a gemm job with K = 2^31 a 16 GiB Bᵀ
// and A (TestAttackSampledChunkActivationsAreUnbounded).
const MaxChunkExecValues = computetypes.MaxChunkExecBytes / 4

// checkChunkExec refuses a chunk of a job of shape s, in chunks of
// chunkRows rows, whose recomputation holds more than MaxChunkExecValues
// values (WorkloadShape.ExecValues: the chain's own formula).
func checkChunkExec(kind string, s computetypes.WorkloadShape, chunkRows uint64) error {
	v := s.ExecValues(chunkRows)
	if v <= MaxChunkExecValues {
		return nil
	}
	return fmt.Errorf("%w: a %s chunk of %d rows holds %d values (%d bytes), more than %d bytes",
		ErrChunkTooLarge, kind, min(max(chunkRows, 1), s.Rows), v, common.SatMul(v, 4), uint64(computetypes.MaxChunkExecBytes))
}

// mlpRowValues is what one row of an mlp chunk holds while it runs through
// m: the widest layer's input and output (Model.Forward keeps a layer's
// input and output at once).
func mlpRowValues(m *workload.Model) uint64 {
	var widest uint64
	for _, l := range m.Layers {
		widest = max(widest, common.SatAdd(uint64(max(l.In, 0)), uint64(max(l.Out, 0))))
	}
	return widest
}

// checkMLPChunk refuses an mlp chunk of up to chunkRows of rows dataset
// rows through m whose activations exceed MaxChunkExecValues.
func checkMLPChunk(m *workload.Model, rows, chunkRows uint64) error {
	return checkChunkExec(workload.KindMLP, computetypes.WorkloadShape{Rows: rows, RowValues: mlpRowValues(m)}, chunkRows)
}

// checkGemmChunk refuses a gemm chunk whose Bᵀ (K·N) and rows of A and C
// (K + N each) exceed MaxChunkExecValues, before GemmJob.ComputeRows
// allocates them.
func checkGemmChunk(p workload.GemmParams) error {
	m, n, k, cr := uint64(max(p.M, 0)), uint64(max(p.N, 0)), uint64(max(p.K, 0)), uint64(max(p.ChunkRows, 0))
	return checkChunkExec(workload.KindGemm, computetypes.WorkloadShape{Rows: m, HeldValues: common.SatMul(k, n),
		RowValues: common.SatAdd(k, n)}, cr)
}

// clampInt is v as an int, math.MaxInt when it does not fit (a size beyond
// every bound, refused by the checks it feeds).
func clampInt(v uint64) int {
	return int(min(v, uint64(math.MaxInt)))
}
