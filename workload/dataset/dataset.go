// Package dataset describes a dataset file the way x/datamarket records it:
// its sha256, its shape, its chunking into rows_per_chunk rows and the Merkle
// tree over those chunks, whose root is the on-chain content_root. The CLI
// that lists a dataset, the dataset server and the agents' resolver all
// describe and check files with it, so that they agree on every field.
//
// The package is pure: it reads no files and starts no goroutines. Callers
// pass the bytes, and agents that describe large files pass a tree builder
// that hashes on all cores (accel/treehash), which builds the same tree.
package dataset

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
)

// Description is a dataset file (format npy-f32) with everything
// x/datamarket records about it.
type Description struct {
	// Sha256 is the lower-case hex SHA-256 of Data.
	Sha256       string
	Rows, Cols   uint64
	RowsPerChunk uint64
	// Data is the .npy file.
	Data []byte
	// Matrix is the file's rows.
	Matrix *workload.Matrix
	// Chunks are the row chunks of RowsPerChunk rows (little-endian float32,
	// row-major), views of Data's body.
	Chunks [][]byte
	// Tree is the Merkle tree over Chunks.
	Tree *merkle.Tree
}

// Options tune DescribeWith. The zero value parses with workload's default
// limits and builds the tree with merkle.New.
type Options struct {
	// Limits bound the .npy parser.
	Limits workload.Limits
	// Tree builds the Merkle tree over the chunks; it must build merkle.New's
	// tree (accel/treehash.New does, on all cores). Nil: merkle.New.
	Tree func(chunks [][]byte) (*merkle.Tree, error)
}

// Describe parses .npy bytes and computes the file's sha256, shape and the
// Merkle tree over chunks of rowsPerChunk rows, which must be in 1..rows.
func Describe(data []byte, rowsPerChunk uint64) (*Description, error) {
	return DescribeWith(data, rowsPerChunk, Options{})
}

// DescribeWith is Describe with options.
func DescribeWith(data []byte, rowsPerChunk uint64, opts Options) (*Description, error) {
	sha := workload.SHA256Hex(data)
	m, err := workload.ParseNPY(data, sha, opts.Limits)
	if err != nil {
		return nil, err
	}
	if rowsPerChunk == 0 || rowsPerChunk > uint64(m.Rows) {
		return nil, fmt.Errorf("rows_per_chunk must be in 1..%d (the file's rows), got %d", m.Rows, rowsPerChunk)
	}
	chunks, err := bodyChunks(data, m, int(rowsPerChunk))
	if err != nil {
		return nil, err
	}
	build := opts.Tree
	if build == nil {
		build = merkle.New
	}
	tree, err := build(chunks)
	if err != nil {
		return nil, err
	}
	return &Description{
		Sha256: sha, Rows: uint64(m.Rows), Cols: uint64(m.Cols), RowsPerChunk: rowsPerChunk,
		Data: data, Matrix: m, Chunks: chunks, Tree: tree,
	}, nil
}

// bodyChunks splits the body of a .npy file that ParseNPY accepted into row
// chunks without copying it: that body is the file's last rows·cols·4 bytes,
// the rows as little-endian float32 in C order, which is exactly the chunks'
// encoding (Chunks of the parsed matrix gives the same bytes).
func bodyChunks(data []byte, m *workload.Matrix, rowsPerChunk int) ([][]byte, error) {
	n, err := workload.ChunkCount(m.Rows, rowsPerChunk)
	if err != nil {
		return nil, err
	}
	rowBytes := 4 * m.Cols
	size := m.Rows * rowBytes
	if size > len(data) {
		return nil, fmt.Errorf("%w: %d×%d rows in a %d-byte file", workload.ErrShape, m.Rows, m.Cols, len(data))
	}
	body := data[len(data)-size:]
	chunks := make([][]byte, n)
	for i := range chunks {
		r0 := i * rowsPerChunk
		r1 := min(r0+rowsPerChunk, m.Rows)
		chunks[i] = body[r0*rowBytes : r1*rowBytes : r1*rowBytes]
	}
	return chunks, nil
}

// Root returns the Merkle root over the chunks: the content_root.
func (d *Description) Root() []byte {
	r := d.Tree.Root()
	return r[:]
}

// ChunkCount returns the number of chunks.
func (d *Description) ChunkCount() uint64 { return uint64(len(d.Chunks)) }

// Check checks that the file is exactly a version recorded on chain: its
// sha256, rows, cols, rows_per_chunk and content_root.
func (d *Description) Check(sha256 string, rows, cols, rowsPerChunk uint64, contentRoot []byte) error {
	if !strings.EqualFold(d.Sha256, sha256) {
		return fmt.Errorf("sha256 %s, the chain records %s", d.Sha256, sha256)
	}
	if d.Rows != rows || d.Cols != cols || d.RowsPerChunk != rowsPerChunk {
		return fmt.Errorf("shape %d×%d/%d, the chain records %d×%d/%d", d.Rows, d.Cols, d.RowsPerChunk, rows, cols, rowsPerChunk)
	}
	if !bytes.Equal(d.Root(), contentRoot) {
		return fmt.Errorf("content root %x, the chain records %s", d.Root(), hex.EncodeToString(contentRoot))
	}
	return nil
}

// Chunks splits a dataset matrix into its encoded chunks of rowsPerChunk rows
// (the same encoding as a job's output chunks).
func Chunks(m *workload.Matrix, rowsPerChunk int) ([][]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return workload.SplitChunks(m.Data, m.Rows, m.Cols, rowsPerChunk)
}

// Root returns a dataset matrix's content_root: the Merkle root over its
// chunks of rowsPerChunk rows, and the chunk count.
func Root(m *workload.Matrix, rowsPerChunk int) ([32]byte, int, error) {
	chunks, err := Chunks(m, rowsPerChunk)
	if err != nil {
		return [32]byte{}, 0, err
	}
	root, err := merkle.RootOf(chunks)
	if err != nil {
		return [32]byte{}, 0, err
	}
	return root, len(chunks), nil
}
