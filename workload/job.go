package workload

import (
	"context"
	"fmt"

	"github.com/aichain/aichain/workload/merkle"
)

// Job is a workload instance whose output is a Rows()×Cols() float32 matrix
// committed in chunks of ChunkRows() rows. GemmJob and MLPJob implement it.
type Job interface {
	// Kind returns the workload kind, "gemm-f32" or "mlp-f32".
	Kind() string
	Rows() int
	Cols() int
	ChunkRows() int
	// ComputeRows computes output rows [r0, r1) with backend b.
	ComputeRows(ctx context.Context, b Backend, r0, r1 int) ([]float32, error)
}

// JobChunkCount returns the number of output chunks of j.
func JobChunkCount(j Job) (int, error) {
	return ChunkCount(j.Rows(), j.ChunkRows())
}

// ComputeChunk computes only output chunk i of j (what a verifier needs for
// one sampled chunk) and returns its encoding.
func ComputeChunk(ctx context.Context, j Job, b Backend, i int) ([]byte, error) {
	r0, r1, err := ChunkRange(j.Rows(), j.ChunkRows(), i)
	if err != nil {
		return nil, err
	}
	y, err := j.ComputeRows(ctx, b, r0, r1)
	if err != nil {
		return nil, err
	}
	if len(y) != (r1-r0)*j.Cols() {
		return nil, fmt.Errorf("%w: backend %s returned %d values for %d×%d", ErrShape, b.Name(), len(y), r1-r0, j.Cols())
	}
	return EncodeFloats(y), nil
}

// ComputeChunks computes the whole output of j and returns all its chunks.
func ComputeChunks(ctx context.Context, j Job, b Backend) ([][]byte, error) {
	if _, err := JobChunkCount(j); err != nil {
		return nil, err
	}
	y, err := j.ComputeRows(ctx, b, 0, j.Rows())
	if err != nil {
		return nil, err
	}
	return SplitChunks(y, j.Rows(), j.Cols(), j.ChunkRows())
}

// OutputRoot computes the whole output of j and returns its Merkle root and
// chunk count.
func OutputRoot(ctx context.Context, j Job, b Backend) ([32]byte, int, error) {
	chunks, err := ComputeChunks(ctx, j, b)
	if err != nil {
		return [32]byte{}, 0, err
	}
	root, err := merkle.RootOf(chunks)
	if err != nil {
		return [32]byte{}, 0, err
	}
	return root, len(chunks), nil
}

func checkRowRange(j Job, r0, r1 int) error {
	if r0 < 0 || r1 > j.Rows() || r0 >= r1 {
		return fmt.Errorf("%w: row range [%d, %d) of %d rows", ErrShape, r0, r1, j.Rows())
	}
	return nil
}
