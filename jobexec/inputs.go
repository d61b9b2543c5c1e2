package jobexec

import (
	"fmt"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// InputChunkRange returns the dataset chunks [first, last] that cover output
// chunk i of a job over rows dataset rows in output chunks of chunkRows rows,
// the dataset being chunked by rowsPerChunk rows.
func InputChunkRange(rows, chunkRows, rowsPerChunk, i uint64) (first, last uint64, err error) {
	if rowsPerChunk == 0 {
		return 0, 0, fmt.Errorf("%w: rows_per_chunk=0", workload.ErrInvalidParams)
	}
	r0, r1, err := rowRange(rows, chunkRows, i)
	if err != nil {
		return 0, 0, err
	}
	return r0 / rowsPerChunk, (r1 - 1) / rowsPerChunk, nil
}

// inputChunks is Recomputer.InputChunks for a job over dataset version ds in
// output chunks of chunkRows rows: the dataset chunks that cover chunk i (0
// for a chunk out of range, whose response fails its checks anyway).
func inputChunks(ds datamarkettypes.Dataset, chunkRows uint64) func(i uint64) uint64 {
	return func(i uint64) uint64 {
		first, last, err := InputChunkRange(ds.Rows, chunkRows, ds.RowsPerChunk, i)
		if err != nil {
			return 0
		}
		return last - first + 1
	}
}

func rowRange(rows, chunkRows, i uint64) (uint64, uint64, error) {
	r, err := toInt("rows", rows)
	if err != nil {
		return 0, 0, err
	}
	cr, err := toInt("chunk_rows", chunkRows)
	if err != nil {
		return 0, 0, err
	}
	idx, err := toInt("chunk index", i)
	if err != nil {
		return 0, 0, err
	}
	r0, r1, err := workload.ChunkRange(r, cr, idx)
	return uint64(r0), uint64(r1), err
}

// AttachInputs adds to r the dataset chunks that cover its output rows, with
// their proofs from the dataset's tree.
func (r *ChunkResponse) AttachInputs(ds *DatasetFile, chunkRows uint64) error {
	return r.attachInputs(ds, chunkRows)
}

// attachInputs is AttachInputs from a DatasetFile in memory or InputRows on
// disk.
func (r *ChunkResponse) attachInputs(ds inputChunkSource, chunkRows uint64) error {
	rec, tree := ds.record(), ds.tree()
	first, last, err := InputChunkRange(rec.Rows, chunkRows, rec.RowsPerChunk, r.Index)
	if err != nil {
		return err
	}
	if last >= uint64(tree.Len()) {
		return fmt.Errorf("input chunk %d of %d", last, tree.Len())
	}
	r.InputChunkCount = uint64(tree.Len())
	r.Inputs = r.Inputs[:0]
	for j := first; j <= last; j++ {
		data, err := ds.chunk(j)
		if err != nil {
			return err
		}
		in, err := merkle.NewChunk(tree, int(j), data)
		if err != nil {
			return err
		}
		r.Inputs = append(r.Inputs, in)
	}
	return nil
}

// VerifyInputs checks the served input chunks of output chunk r.Index
// against a dataset's on-chain content_root (rows×cols, chunked by
// rowsPerChunk rows) and returns the dataset rows of that output chunk
// (row-major float32) and their count. Exactly the covering chunks, in
// order, must be served, each with a valid proof.
func (r ChunkResponse) VerifyInputs(contentRoot []byte, rows, cols, rowsPerChunk, chunkRows uint64) ([]float32, int, error) {
	b, n, err := r.VerifyInputBytes(contentRoot, rows, cols, rowsPerChunk, chunkRows)
	if err != nil {
		return nil, 0, err
	}
	v, err := workload.DecodeFloats(b)
	return v, n, err
}

// VerifyInputBytes is VerifyInputs for any dataset format of 4-byte values
// (npy-f32, npy-i32): it returns the rows' bytes (little-endian, row-major)
// and their count.
func (r ChunkResponse) VerifyInputBytes(contentRoot []byte, rows, cols, rowsPerChunk, chunkRows uint64) ([]byte, int, error) {
	if len(contentRoot) != merkle.HashSize {
		return nil, 0, fmt.Errorf("on-chain content root has %d bytes", len(contentRoot))
	}
	c, err := toInt("cols", cols)
	if err != nil || c < 1 {
		return nil, 0, fmt.Errorf("dataset cols %d: %w", cols, err)
	}
	first, last, err := InputChunkRange(rows, chunkRows, rowsPerChunk, r.Index)
	if err != nil {
		return nil, 0, err
	}
	n := (rows-1)/rowsPerChunk + 1
	if r.InputChunkCount != n {
		return nil, 0, fmt.Errorf("served input chunk count %d, the dataset has %d", r.InputChunkCount, n)
	}
	if uint64(len(r.Inputs)) != last-first+1 {
		return nil, 0, fmt.Errorf("served %d input chunks, want chunks %d..%d", len(r.Inputs), first, last)
	}
	var root merkle.Hash
	copy(root[:], contentRoot)
	var vals []byte
	for k, in := range r.Inputs {
		want := first + uint64(k)
		if in.Index != want {
			return nil, 0, fmt.Errorf("input %d is dataset chunk %d, want %d", k, in.Index, want)
		}
		if err := in.Verify(root, n); err != nil {
			return nil, 0, fmt.Errorf("input chunk %d does not verify against the content root: %w", in.Index, err)
		}
		rowBytes := 4 * uint64(c)
		wantRows := min(rowsPerChunk, rows-in.Index*rowsPerChunk)
		if uint64(len(in.Data)) != wantRows*rowBytes {
			return nil, 0, fmt.Errorf("input chunk %d has %d bytes, want %d rows of %d", in.Index, len(in.Data), wantRows, rowBytes)
		}
		vals = append(vals, in.Data...)
	}
	r0, r1, err := rowRange(rows, chunkRows, r.Index)
	if err != nil {
		return nil, 0, err
	}
	off := (r0 - first*rowsPerChunk) * cols * 4
	return vals[off : off+(r1-r0)*cols*4], int(r1 - r0), nil
}
