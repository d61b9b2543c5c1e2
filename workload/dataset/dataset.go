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

// The dataset formats, as x/datamarket spells them: a 2-D NumPy .npy file
// in C order of little-endian float32 ('<f4') or int32 ('<i4', token ids:
// the prompts of gpt-f32 jobs) values.
const (
	FormatNPYF32 = "npy-f32"
	FormatNPYI32 = "npy-i32"
)

// Description is a dataset file (format npy-f32 or npy-i32) with everything
// x/datamarket records about it.
type Description struct {
	// Format is FormatNPYF32 or FormatNPYI32, from the file's dtype.
	Format string
	// Sha256 is the lower-case hex SHA-256 of Data.
	Sha256 string
	// RowsSha256 is the lower-case hex SHA-256 of the rows alone (Data's
	// last rows·cols·4 bytes, the values without the .npy header): the
	// on-chain rows_sha256, which neither the chunking nor the header
	// changes.
	RowsSha256   string
	Rows, Cols   uint64
	RowsPerChunk uint64
	// Data is the .npy file.
	Data []byte
	// Matrix is the file's rows (npy-f32; nil for npy-i32).
	Matrix *workload.Matrix
	// Tokens is the file's rows (npy-i32; nil for npy-f32).
	Tokens *workload.TokenMatrix
	// Chunks are the row chunks of RowsPerChunk rows (the little-endian
	// 4-byte values, row-major), views of Data's body.
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
// Merkle tree over chunks of rowsPerChunk rows, which must be in 1..rows:
// what a dataset's owner records on chain.
func Describe(data []byte, rowsPerChunk uint64) (*Description, error) {
	return DescribeWith(data, rowsPerChunk, Options{})
}

// DescribeWith is Describe with options. The header gives the format and
// shape (workload.NPYShape); the rows are then read as DescribeRecord reads
// them, so that the two agree on every file the header describes truly.
func DescribeWith(data []byte, rowsPerChunk uint64, opts Options) (*Description, error) {
	dtype, rows, cols, err := workload.NPYShape(data, opts.Limits)
	if err != nil {
		return nil, err
	}
	format := FormatNPYF32
	if dtype == "<i4" {
		format = FormatNPYI32
	}
	return DescribeRecord(data, Layout{Format: format, Rows: uint64(rows), Cols: uint64(cols), RowsPerChunk: rowsPerChunk}, opts)
}

// Layout is what a version's on-chain record says of its file's rows: their
// format, shape and chunking.
type Layout struct {
	// Format is FormatNPYF32 (also when empty, the only format before
	// npy-i32) or FormatNPYI32.
	Format                   string
	Rows, Cols, RowsPerChunk uint64
}

// DescribeRecord describes a file as a version's record lays it out,
// whatever its .npy header says: its rows are its last rows·cols·4 bytes
// (CheckLength bounds what comes before them), decoded as the recorded
// format. That is what the chain and the verifiers know of a version (the
// content root over those bytes, the rows decoded as the job's kind says),
// so a job's winner that reads its dataset this way accepts exactly the
// files the validators find available; a winner that obeyed a header's
// other dtype, shape or order would abort a job on rows the validators
// verify, and forfeit its collateral
// (TestAttackDatasetHeaderValidatorsNeverSeeForfeitsTheWinnersCollateral).
func DescribeRecord(data []byte, l Layout, opts Options) (*Description, error) {
	return describeRecord(data, "", l, opts)
}

// DescribeCheckedRecord is DescribeRecord of a file whose sha256
// workload.CheckFile computed (a provider's disk cache reads its files so):
// it is not hashed again.
func DescribeCheckedRecord(f workload.Checked, l Layout, opts Options) (*Description, error) {
	return describeRecord(f.Bytes(), f.SHA256(), l, opts)
}

// describeRecord is DescribeRecord of data whose sha256 is sha ("": not
// known, computed here).
func describeRecord(data []byte, sha string, l Layout, opts Options) (*Description, error) {
	lim := opts.Limits
	if lim.MaxFileBytes <= 0 {
		lim.MaxFileBytes = workload.DefaultLimits().MaxFileBytes
	}
	if lim.MaxElements <= 0 || lim.MaxElements > workload.MaxDenseElements {
		lim.MaxElements = workload.MaxDenseElements
	}
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("%w: dataset file of %d bytes, limit %d", workload.ErrTooLarge, len(data), lim.MaxFileBytes)
	}
	if l.Rows < 1 || l.Cols < 1 || l.Rows > uint64(lim.MaxElements)/l.Cols {
		return nil, fmt.Errorf("%w: %d×%d rows (at most %d values)", workload.ErrShape, l.Rows, l.Cols, lim.MaxElements)
	}
	if err := CheckLength(l.Rows, l.Cols, int64(len(data))); err != nil {
		return nil, err
	}
	rows, cols := int(l.Rows), int(l.Cols)
	if l.RowsPerChunk == 0 || l.RowsPerChunk > l.Rows {
		return nil, fmt.Errorf("%w: rows_per_chunk must be in 1..%d (the rows), got %d", workload.ErrShape, rows, l.RowsPerChunk)
	}
	if sha == "" {
		sha = workload.SHA256Hex(data)
	}
	d := &Description{Sha256: sha, Data: data, Format: l.Format}
	body := data[len(data)-rows*cols*4:]
	d.RowsSha256 = workload.SHA256Hex(body)
	switch l.Format {
	case FormatNPYF32, "":
		v, err := workload.DecodeFloats(body)
		if err != nil {
			return nil, err
		}
		d.Format, d.Matrix = FormatNPYF32, &workload.Matrix{Rows: rows, Cols: cols, Data: v}
	case FormatNPYI32:
		d.Tokens = &workload.TokenMatrix{Rows: rows, Cols: cols, Data: workload.DecodeInts(body)}
	default:
		return nil, fmt.Errorf("%w: dataset format %q (want %s or %s)", workload.ErrUnsupported, l.Format, FormatNPYF32, FormatNPYI32)
	}
	var err error
	if d.Chunks, err = bodyChunks(data, rows, cols, int(l.RowsPerChunk)); err != nil {
		return nil, err
	}
	build := opts.Tree
	if build == nil {
		build = merkle.New
	}
	if d.Tree, err = build(d.Chunks); err != nil {
		return nil, err
	}
	d.Rows, d.Cols, d.RowsPerChunk = l.Rows, l.Cols, l.RowsPerChunk
	return d, nil
}

// CheckLength checks that a file of size bytes can hold a version of
// rows×cols 4-byte values: the values, and before them at most
// workload.MaxNPYPrefixBytes (the most a .npy file the parser accepts holds
// besides its values, and what a dataset download reads besides them). It
// is the one rule for a job's winner (DescribeRecord; its download is cut
// there: dataserver.Expect) and for a dataset server, which holds a version
// only in a file that keeps it, so that the validators' probe finds a
// version no winner can load unavailable too.
func CheckLength(rows, cols uint64, size int64) error {
	if cols == 0 || rows > (1<<62)/4/cols {
		return fmt.Errorf("%w: %d×%d rows", workload.ErrTooLarge, rows, cols)
	}
	body := int64(rows * cols * 4)
	if size < body {
		return fmt.Errorf("%w: %d×%d rows need %d bytes, the file has %d", workload.ErrShape, rows, cols, body, size)
	}
	if size-body > workload.MaxNPYPrefixBytes {
		return fmt.Errorf("%w: %d bytes before the %d×%d rows, at most %d", workload.ErrTooLarge, size-body, rows, cols, workload.MaxNPYPrefixBytes)
	}
	return nil
}

// bodyChunks splits the body of a .npy file that the parsers accepted into
// row chunks without copying it: that body is the file's last rows·cols·4
// bytes, the rows as little-endian 4-byte values in C order, which is
// exactly the chunks' encoding (Chunks of the parsed matrix gives the same
// bytes).
func bodyChunks(data []byte, rows, cols, rowsPerChunk int) ([][]byte, error) {
	n, err := workload.ChunkCount(rows, rowsPerChunk)
	if err != nil {
		return nil, err
	}
	rowBytes := 4 * cols
	size := rows * rowBytes
	if size > len(data) {
		return nil, fmt.Errorf("%w: %d×%d rows in a %d-byte file", workload.ErrShape, rows, cols, len(data))
	}
	body := data[len(data)-size:]
	chunks := make([][]byte, n)
	for i := range chunks {
		r0 := i * rowsPerChunk
		r1 := min(r0+rowsPerChunk, rows)
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
// sha256, rows, cols, rows_per_chunk and content_root. (The format follows
// from the sha256; CheckFormat compares it with a record's.)
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

// CheckRows checks the file's rows against a version's rows_sha256: equal,
// or empty (a version listed before the rows key declares none).
func (d *Description) CheckRows(rowsSha256 string) error {
	if rowsSha256 != "" && !strings.EqualFold(d.RowsSha256, rowsSha256) {
		return fmt.Errorf("rows sha256 %s, the chain records %s", d.RowsSha256, rowsSha256)
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

// CheckFormat checks the file's format against a recorded one (an empty
// record is npy-f32, the only format before npy-i32).
func (d *Description) CheckFormat(format string) error {
	if format == "" {
		format = FormatNPYF32
	}
	if d.Format != format {
		return fmt.Errorf("format %s, the chain records %s", d.Format, format)
	}
	return nil
}

// TokenChunks splits a token matrix into its encoded chunks of rowsPerChunk
// rows (little-endian int32, row-major): an npy-i32 dataset's chunks.
func TokenChunks(m *workload.TokenMatrix, rowsPerChunk int) ([][]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	n, err := workload.ChunkCount(m.Rows, rowsPerChunk)
	if err != nil {
		return nil, err
	}
	buf := workload.EncodeInts(m.Data)
	out := make([][]byte, n)
	rowBytes := 4 * m.Cols
	for i := range out {
		r0 := i * rowsPerChunk
		r1 := min(r0+rowsPerChunk, m.Rows)
		out[i] = buf[r0*rowBytes : r1*rowBytes : r1*rowBytes]
	}
	return out, nil
}
