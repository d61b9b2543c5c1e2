package workload

import (
	"encoding/binary"
	"fmt"
	"math"
)

// ChunkCount returns ceil(rows/chunkRows), the number of chunks of a
// rows-row output.
func ChunkCount(rows, chunkRows int) (int, error) {
	if rows < 1 || chunkRows < 1 {
		return 0, fmt.Errorf("%w: rows=%d chunk_rows=%d must be positive", ErrInvalidParams, rows, chunkRows)
	}
	return (rows-1)/chunkRows + 1, nil
}

// ChunkRange returns the row range [r0, r1) of chunk i.
func ChunkRange(rows, chunkRows, i int) (r0, r1 int, err error) {
	n, err := ChunkCount(rows, chunkRows)
	if err != nil {
		return 0, 0, err
	}
	if i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%w: chunk %d of %d", ErrChunkIndex, i, n)
	}
	r0 = i * chunkRows
	r1 = min(r0+chunkRows, rows)
	return r0, r1, nil
}

// EncodeFloats returns v as little-endian float32 bytes.
func EncodeFloats(v []float32) []byte {
	b := make([]byte, 4*len(v))
	putFloats(b, v)
	return b
}

func putFloats(b []byte, v []float32) {
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
}

// DecodeFloats decodes little-endian float32 bytes. The length must be a
// multiple of 4.
func DecodeFloats(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of float32", ErrShape, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// DecodeChunkRows decodes a chunk of rows with cols columns each and returns
// the values and the number of rows.
func DecodeChunkRows(b []byte, cols int) ([]float32, int, error) {
	if cols < 1 {
		return nil, 0, fmt.Errorf("%w: cols=%d", ErrShape, cols)
	}
	if len(b) == 0 || len(b)%(4*cols) != 0 {
		return nil, 0, fmt.Errorf("%w: chunk of %d bytes is not a whole number of %d-column float32 rows", ErrShape, len(b), cols)
	}
	v, err := DecodeFloats(b)
	if err != nil {
		return nil, 0, err
	}
	return v, len(v) / cols, nil
}

// SplitChunks splits a rows×cols row-major matrix into its encoded chunks of
// chunkRows rows. The chunks are sub-slices of a single buffer.
func SplitChunks(v []float32, rows, cols, chunkRows int) ([][]byte, error) {
	n, err := ChunkCount(rows, chunkRows)
	if err != nil {
		return nil, err
	}
	if cols < 1 || rows > MaxDenseElements/cols || len(v) != rows*cols {
		return nil, fmt.Errorf("%w: %d values as %d×%d", ErrShape, len(v), rows, cols)
	}
	buf := EncodeFloats(v)
	chunks := make([][]byte, n)
	rowBytes := 4 * cols
	for i := range chunks {
		r0 := i * chunkRows
		r1 := min(r0+chunkRows, rows)
		chunks[i] = buf[r0*rowBytes : r1*rowBytes : r1*rowBytes]
	}
	return chunks, nil
}
