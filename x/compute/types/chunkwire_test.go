package types_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload/merkle"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackTinyDatasetChunksFloodTheSidecar: a requester runs an mlp job
// on a dataset cut into chunks of one row (listing allows it). Each sampled
// output chunk of 8,192 rows is 64 KiB raw, 1.6 % of max_chunk_bytes, but
// the provider serves each of the 8,193 covering dataset rows as an entry
// with its own 16-sibling proof: over 9 MB of JSON, more than the 2 ×
// max_chunk_bytes + 64 KiB a sidecar reads. Every validator then finds the
// honest provider's chunk unavailable and the provider forfeits the job's
// collateral. Such a job is refused at creation; the same job on the
// dataset cut in chunks of 64 rows is admitted.
func TestAttackTinyDatasetChunksFloodTheSidecar(t *testing.T) {
	p := types.DefaultParams()
	shape := types.WorkloadShape{Rows: 65_536, Cols: 1, InputCols: 1, InputRowsPerChunk: 1}
	raw, ok := shape.ChunkBytes(8192)
	if !ok || raw > p.MaxChunkBytes/50 {
		t.Fatalf("the raw chunk is %d bytes (%t); the attack needs it well under max_chunk_bytes %d", raw, ok, p.MaxChunkBytes)
	}
	enc, _ := shape.EncodedChunkBytes(8192)
	if sidecarReads := 2*p.MaxChunkBytes + 64<<10; enc <= sidecarReads {
		t.Fatalf("served as %d bytes, within the %d a sidecar reads: no attack", enc, sidecarReads)
	}
	if err := p.AdmitJob(shape, 8192, p.MaxExecBlocks); !errors.Is(err, types.ErrInvalidWorkload) {
		t.Fatalf("a job served as %d bytes (raw %d): %v, want ErrInvalidWorkload", enc, raw, err)
	}
	shape.InputRowsPerChunk = 64
	if err := p.AdmitJob(shape, 8192, p.MaxExecBlocks); err != nil {
		t.Fatalf("the job on 64-row dataset chunks: %v", err)
	}
}

// TestEncodedChunkBytesBoundsTheServedJSON builds the response a provider
// serves (jobexec.ChunkResponse over real Merkle trees, encoding/json) for
// shapes from one-row dataset chunks to wide ones, and checks that
// EncodedChunkBytes is never below it, nor far above it.
func TestEncodedChunkBytesBoundsTheServedJSON(t *testing.T) {
	for _, s := range []struct {
		shape     types.WorkloadShape
		chunkRows uint64
	}{
		{types.WorkloadShape{Rows: 1000, Cols: 1, InputCols: 1, InputRowsPerChunk: 1}, 100},
		{types.WorkloadShape{Rows: 1000, Cols: 3, InputCols: 4, InputRowsPerChunk: 7}, 64},
		{types.WorkloadShape{Rows: 40, Cols: 2, InputCols: 3, InputRowsPerChunk: 6}, 8},
		{types.WorkloadShape{Rows: 300, Cols: 16}, 32}, // no dataset (gemm)
		{types.WorkloadShape{Rows: 5, Cols: 1, InputCols: 1, InputRowsPerChunk: 100}, 5},
	} {
		served := servedJSON(t, s.shape, s.chunkRows)
		bound, ok := s.shape.EncodedChunkBytes(s.chunkRows)
		if !ok || bound < served || bound > served+served/4+1024 {
			t.Errorf("%+v in chunks of %d rows: served %d bytes, bound %d (%t)", s.shape, s.chunkRows, served, bound, ok)
		}
	}
}

// servedJSON is the size of the largest chunk response a provider serves
// for a job of shape: every output chunk, with the dataset chunks covering
// its rows, as jobexec builds and encodes it.
func servedJSON(t *testing.T, s types.WorkloadShape, chunkRows uint64) uint64 {
	t.Helper()
	out := chunksOf(s.Rows, chunkRows, s.Cols)
	outTree, err := merkle.New(out)
	if err != nil {
		t.Fatal(err)
	}
	var in [][]byte
	var inTree *merkle.Tree
	if s.InputCols > 0 {
		in = chunksOf(s.Rows, s.InputRowsPerChunk, s.InputCols)
		if inTree, err = merkle.New(in); err != nil {
			t.Fatal(err)
		}
	}
	largest := uint64(0)
	for i := range out {
		resp, err := jobexec.NewChunkResponse(7, outTree, i, out[i])
		if err != nil {
			t.Fatal(err)
		}
		if inTree != nil {
			first, last := uint64(i)*chunkRows, min(uint64(i+1)*chunkRows, s.Rows)-1
			for j := first / s.InputRowsPerChunk; j <= last/s.InputRowsPerChunk; j++ {
				c, err := merkle.NewChunk(inTree, int(j), in[j])
				if err != nil {
					t.Fatal(err)
				}
				resp.Inputs = append(resp.Inputs, c)
			}
			resp.InputChunkCount = uint64(len(in))
		}
		bz, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, uint64(len(bz)))
	}
	return largest
}

// chunksOf cuts rows × cols float32s into chunks of per rows (the last
// shorter), each byte non-zero so that no encoding shortens it.
func chunksOf(rows, per, cols uint64) [][]byte {
	var out [][]byte
	for r := uint64(0); r < rows; r += per {
		n := (min(r+per, rows) - r) * cols * 4
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i%251 + 1)
		}
		out = append(out, b)
	}
	return out
}
