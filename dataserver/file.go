package dataserver

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/aichain/aichain/accel/treehash"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
)

// File is a parsed dataset file with its chunks and Merkle tree.
type File struct {
	Path         string
	Sha256       string
	Data         []byte
	Rows, Cols   uint64
	RowsPerChunk uint64
	Chunks       [][]byte
	Tree         *merkle.Tree
}

// Root returns the Merkle root over the file's chunks.
func (f *File) Root() []byte {
	r := f.Tree.Root()
	return r[:]
}

// Describe parses .npy bytes (npy-f32) and computes what a listing needs:
// sha256, shape, and the Merkle tree over chunks of rowsPerChunk rows.
func Describe(data []byte, rowsPerChunk uint64) (*File, error) {
	sha := workload.SHA256Hex(data)
	m, err := workload.ParseNPY(data, sha, workload.Limits{})
	if err != nil {
		return nil, err
	}
	if rowsPerChunk == 0 || rowsPerChunk > uint64(m.Rows) {
		return nil, fmt.Errorf("rows_per_chunk must be in 1..%d (the file's rows), got %d", m.Rows, rowsPerChunk)
	}
	chunks, err := workload.DatasetChunks(m, int(rowsPerChunk))
	if err != nil {
		return nil, err
	}
	tree, err := treehash.New(chunks)
	if err != nil {
		return nil, err
	}
	return &File{
		Sha256: sha, Data: data, Rows: uint64(m.Rows), Cols: uint64(m.Cols),
		RowsPerChunk: rowsPerChunk, Chunks: chunks, Tree: tree,
	}, nil
}

// DescribeFile reads and describes a .npy file.
func DescribeFile(path string, rowsPerChunk uint64) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Describe(data, rowsPerChunk)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Path = path
	return f, nil
}

// CheckAgainst checks that the file is exactly the on-chain version.
func (f *File) CheckAgainst(sha string, rows, cols, rowsPerChunk uint64, root []byte) error {
	if f.Sha256 != sha {
		return fmt.Errorf("sha256 %s, the chain records %s", f.Sha256, sha)
	}
	if f.Rows != rows || f.Cols != cols || f.RowsPerChunk != rowsPerChunk {
		return fmt.Errorf("shape %d×%d/%d, the chain records %d×%d/%d", f.Rows, f.Cols, f.RowsPerChunk, rows, cols, rowsPerChunk)
	}
	if !bytes.Equal(f.Root(), root) {
		return fmt.Errorf("content root %x, the chain records %s", f.Root(), hex.EncodeToString(root))
	}
	return nil
}
