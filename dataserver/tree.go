package dataserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aichain/aichain/workload/merkle"
	"github.com/aichain/aichain/x/datamarket/types"
)

var zeroTime time.Time

// errNotTheVersion is a file whose bytes do not make the version's
// on-chain record (shape or content root).
var errNotTheVersion = errors.New("the file does not match the on-chain version")

// fileTree is what serving a version's row chunks needs: where the rows
// start in the file and the Merkle tree over the chunks (32 bytes a chunk;
// the rows stay on disk).
type fileTree struct {
	tree         *merkle.Tree
	bodyOff      int64
	rows, cols   uint64
	rowsPerChunk uint64
}

type treeKey struct {
	sha          string
	rowsPerChunk uint64
}

// chunkBytes returns the byte range of chunk i in the file.
func (t *fileTree) chunkRange(i uint64) (off, n int64) {
	rowBytes := int64(t.cols) * 4
	r0 := i * t.rowsPerChunk
	r1 := min(r0+t.rowsPerChunk, t.rows)
	return t.bodyOff + int64(r0)*rowBytes, int64(r1-r0) * rowBytes
}

func (t *fileTree) chunkCount() uint64 { return uint64(t.tree.Len()) }

// tree returns the tree of a file as a version chunks it, from the cache or
// built by reading the file once (at most two builds at a time). The root
// must be the version's content_root.
func (s *Server) tree(e indexed, dv types.DatasetVersion) (*fileTree, error) {
	key := treeKey{sha: e.sha, rowsPerChunk: dv.RowsPerChunk}
	if t, ok := s.trees.get(key, zeroTime); ok && t.rows == dv.Rows && t.cols == dv.Cols {
		return t, nil
	}
	s.building <- struct{}{}
	defer func() { <-s.building }()
	t, err := buildTree(e, dv)
	if err != nil {
		return nil, err
	}
	s.trees.put(key, t, zeroTime)
	return t, nil
}

func buildTree(e indexed, dv types.DatasetVersion) (*fileTree, error) {
	if dv.Rows == 0 || dv.Cols == 0 || dv.RowsPerChunk == 0 || dv.RowsPerChunk > dv.Rows || dv.Cols > 1<<24 {
		return nil, fmt.Errorf("%w: shape %d×%d by %d rows", errNotTheVersion, dv.Rows, dv.Cols, dv.RowsPerChunk)
	}
	body := int64(dv.Rows) * int64(dv.Cols) * 4
	if body/int64(dv.Cols)/4 != int64(dv.Rows) || body+10 > e.size {
		return nil, fmt.Errorf("%w: %d×%d rows in a %d-byte file", errNotTheVersion, dv.Rows, dv.Cols, e.size)
	}
	t := &fileTree{bodyOff: e.size - body, rows: dv.Rows, cols: dv.Cols, rowsPerChunk: dv.RowsPerChunk}
	f, err := e.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n := (dv.Rows + dv.RowsPerChunk - 1) / dv.RowsPerChunk
	leaves := make([]merkle.Hash, n)
	buf := make([]byte, dv.RowsPerChunk*dv.Cols*4)
	for i := uint64(0); i < n; i++ {
		off, size := t.chunkRange(i)
		if got, err := f.ReadAt(buf[:size], off); int64(got) != size {
			return nil, fmt.Errorf("read chunk %d of %s: %w", i, e.path, errors.Join(err, io.ErrUnexpectedEOF))
		}
		leaves[i] = merkle.LeafHash(i, buf[:size])
	}
	if t.tree, err = merkle.FromLeafHashes(leaves); err != nil {
		return nil, err
	}
	if root := t.tree.Root(); !bytes.Equal(root[:], dv.ContentRoot) {
		return nil, fmt.Errorf("%w: content root %x, the chain records %x", errNotTheVersion, root, dv.ContentRoot)
	}
	return t, nil
}
