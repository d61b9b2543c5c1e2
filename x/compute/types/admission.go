package types

import (
	"math/bits"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload"
)

// float32Bytes is the size of one output or input value.
const float32Bytes = 4

// MaxChunkExecBytes bounds the memory one sampled chunk's recomputation holds
// (WorkloadShape.ExecValues × 4 bytes): every validator's sidecar holds it
// for each chunk it checks (two at once with its default two workers), so a
// job whose chunk needed more would let its provider knock out the
// validators' verification at the cost of one job (2 GiB; a sidecar
// refuses a chunk over it, jobexec.ErrChunkTooLarge, for the models the chain
// cannot size).
const MaxChunkExecBytes = 2 << 30

// mul returns a × b, or ok = false when it overflows uint64.
func mul(a, b uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	return lo, hi == 0
}

// ChunkBytes is the largest response a sidecar fetches for one sampled chunk
// of a job of this shape in chunks of chunkRows rows: the output rows
// (min(chunk_rows, rows) × cols float32s) plus, for a kind that reads a
// dataset, the dataset chunks that cover them (at most
// (rows_in_chunk − 1) / rows_per_chunk + 2 chunks of rows_per_chunk rows of
// input_cols float32s). ok is false when the size overflows uint64.
func (s WorkloadShape) ChunkBytes(chunkRows uint64) (uint64, bool) {
	r := min(chunkRows, s.Rows)
	out, ok := mul(r, s.Cols)
	if !ok {
		return 0, false
	}
	out, ok = mul(out, float32Bytes)
	if !ok || s.InputCols == 0 || s.InputRowsPerChunk == 0 || r == 0 {
		return out, ok
	}
	rpc, covering, _ := s.inputCover(r)
	in, ok := mul(covering, rpc)
	if ok {
		in, ok = mul(in, s.InputCols)
	}
	if ok {
		in, ok = mul(in, float32Bytes)
	}
	if !ok || out+in < out {
		return 0, false
	}
	return out + in, true
}

// inputCover is, for an output chunk of r ≥ 1 rows of a kind that reads a
// dataset, the rows of a dataset chunk (at most), how many dataset chunks
// cover the output chunk at most, and how many chunks the dataset has.
func (s WorkloadShape) inputCover(r uint64) (rowsPerChunk, covering, chunks uint64) {
	chunks = (s.Rows-1)/s.InputRowsPerChunk + 1
	return min(s.InputRowsPerChunk, s.Rows), min((r-1)/s.InputRowsPerChunk+2, chunks), chunks
}

// AdmitJob checks a new job's sizes against the params, so that every job
// the chain accepts is one an agent can handle: each sampled chunk's
// response at most max_chunk_bytes (what a sidecar fetches within its
// timeout) and, as served, at most twice that (what it reads), the output and the input each at most workload.MaxDenseElements
// values (what the backends accept), and, when the chain knows the work, an
// execution window of at least one block per max_work_per_exec_block
// multiply-adds. execBlocks passed the window bounds already.
func (p Params) AdmitJob(s WorkloadShape, chunkRows, execBlocks uint64) error {
	size, ok := s.ChunkBytes(chunkRows)
	if !ok || size > p.MaxChunkBytes {
		return ErrInvalidWorkload.Wrapf("a sampled chunk of %d rows (%d output columns, %d input columns) is %d bytes, more than max_chunk_bytes %d: use a smaller chunk_rows",
			min(chunkRows, s.Rows), s.Cols, s.InputCols, size, p.MaxChunkBytes)
	}
	// What a sidecar reads of the response as served (chunkwire.go).
	if enc, ok := s.EncodedChunkBytes(chunkRows); !ok || enc > 2*p.MaxChunkBytes {
		return ErrInvalidWorkload.Wrapf("a sampled chunk of %d rows is served as %d bytes of JSON (base64, and a Merkle proof for each dataset chunk of %d rows it covers), more than 2 × max_chunk_bytes %d that a sidecar reads: use a dataset cut in larger chunks or a smaller chunk_rows",
			min(chunkRows, s.Rows), enc, s.InputRowsPerChunk, p.MaxChunkBytes)
	}
	for _, d := range []struct {
		what       string
		rows, cols uint64
	}{{"output", s.Rows, s.Cols}, {"input", s.Rows, s.InputCols}} {
		if n, ok := mul(d.rows, d.cols); !ok || n > workload.MaxDenseElements {
			return ErrInvalidWorkload.Wrapf("%s %d×%d exceeds %d values", d.what, d.rows, d.cols, uint64(workload.MaxDenseElements))
		}
	}
	if v := s.ExecValues(chunkRows); v > MaxChunkExecBytes/float32Bytes {
		return ErrInvalidWorkload.Wrapf("recomputing a sampled chunk of %d rows holds %d values (%d bytes), more than the %d bytes every validator's sidecar must hold for it: use a smaller chunk_rows or a smaller model",
			min(max(chunkRows, 1), s.Rows), v, common.SatMul(v, float32Bytes), uint64(MaxChunkExecBytes))
	}
	if s.MulAdds > 0 {
		need := (s.MulAdds-1)/p.MaxWorkPerExecBlock + 1
		if execBlocks < need {
			return ErrInvalidWindow.Wrapf("%d multiply-adds need exec_blocks ≥ %d (max_work_per_exec_block %d), got %d",
				s.MulAdds, need, p.MaxWorkPerExecBlock, execBlocks)
		}
	}
	return nil
}
