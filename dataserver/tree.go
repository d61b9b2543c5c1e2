package dataserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aichain/aichain/workload/merkle"
	"github.com/aichain/aichain/x/datamarket/types"
)

var zeroTime time.Time

// errNotTheVersion is a file whose bytes do not make the version's
// on-chain record (shape, content root or rows sha256).
var errNotTheVersion = errors.New("the file does not match the on-chain version")

// fileTree is what serving a version's row chunks needs: where the rows
// start in the file and the Merkle tree over the chunks (32 bytes a chunk;
// the rows stay on disk), with the rows' sha256 (hex), read in the same
// pass. It is the file's, whatever a version's record declares: cached as
// built, it is checked against each version that asks for it (check).
type fileTree struct {
	tree         *merkle.Tree
	rowsSha      string
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

// treeBuild is a tree being built from its file; requests that miss the
// cache while it runs wait for it.
type treeBuild struct {
	done chan struct{}
	tree *fileTree
	err  error
}

// tree returns the tree of a file as a version chunks it, from the cache or
// built by reading the file once, or read back from its leaves in
// Config.TreeDir (at most two builds at a time; treestore.go), and
// refuses it (errNotTheVersion) unless it makes the version's record: its
// content root, and its rows' sha256 when the version declares one (check).
// Concurrent misses of one tree share one build
// (TestAttackConcurrentTreeMissesReadTheFileOnce). The build is the
// server's, not the request's: it runs to its end whoever asked for it
// went away, and a request waits for it at most wait (0: as long as its
// context lasts), then gets errTreeBuilding (503 busy). A build that ran
// under the request that started it was dropped with it: a validator's
// probe cut at its sidecar's timeout before a large file's tree was built
// dropped the build, the next probe started over, and the unanswered
// probes voted a held dataset gone (TestAttackWinnerAbortsWhileTheTreeBuilds).
// A tree is cached whether or not it makes the
// version that had it built, and checked against every version that asks
// (two versions may share a file and rows_per_chunk, and declare different
// roots or rows keys): a version whose record is false costs one read of
// its file, not one a request (a probe needs no access and may be replayed).
func (s *Server) tree(ctx context.Context, e indexed, dv types.DatasetVersion, wait time.Duration) (*fileTree, error) {
	t, err := s.shapedTree(ctx, e, dv, wait)
	if err != nil {
		return nil, err
	}
	if err := t.check(dv); err != nil {
		return nil, err
	}
	return t, nil
}

// check refuses a version whose record the file does not make: its content
// root, or its rows' sha256 (case aside) when it declares one (a version
// listed before the rows key declares none: not checked).
func (t *fileTree) check(dv types.DatasetVersion) error {
	if root := t.tree.Root(); !bytes.Equal(root[:], dv.ContentRoot) {
		return fmt.Errorf("%w: content root %x, the chain records %x", errNotTheVersion, root, dv.ContentRoot)
	}
	if dv.RowsSha256 != "" && !strings.EqualFold(t.rowsSha, dv.RowsSha256) {
		return fmt.Errorf("%w: rows sha256 %s, the chain records %s", errNotTheVersion, t.rowsSha, dv.RowsSha256)
	}
	return nil
}

// shapedTree returns the tree of a file chunked as dv says (its shape and
// rows_per_chunk), from the cache or built, not checked against dv's root
// and rows key; it waits for a build at most wait (0: as long as ctx lasts).
func (s *Server) shapedTree(ctx context.Context, e indexed, dv types.DatasetVersion, wait time.Duration) (*fileTree, error) {
	key := treeKey{sha: e.sha, rowsPerChunk: dv.RowsPerChunk}
	var expired <-chan time.Time
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		expired = timer.C
	}
	for {
		if t, ok := s.cachedTree(key, dv); ok {
			return t, nil
		}
		b := s.startBuild(key, e, dv)
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-expired:
			return nil, errTreeBuilding
		}
		if b.err != nil {
			return nil, b.err
		}
		if b.tree.shapedAs(dv) {
			return b.tree, nil
		}
		// Built for another shape of the same file: again.
	}
}

// errTreeBuilding is a request that waited its bound for its version's
// chunk tree, still being built (503 busy: ask again).
var errTreeBuilding = errors.New("the version's chunk tree is being built")

// startBuild returns the build of key in flight, or starts one.
func (s *Server) startBuild(key treeKey, e indexed, dv types.DatasetVersion) *treeBuild {
	s.buildsMu.Lock()
	defer s.buildsMu.Unlock()
	b, running := s.builds[key]
	if !running {
		b = &treeBuild{done: make(chan struct{})}
		s.builds[key] = b
		go s.runBuild(key, b, e, dv)
	}
	return b
}

// shapedAs reports whether t chunks the file as dv does.
func (t *fileTree) shapedAs(dv types.DatasetVersion) bool {
	return t.rows == dv.Rows && t.cols == dv.Cols && t.rowsPerChunk == dv.RowsPerChunk
}

// cachedTree returns the cached tree of key if it has dv's shape; the
// caller checks it against dv's root and rows key (tree).
func (s *Server) cachedTree(key treeKey, dv types.DatasetVersion) (*fileTree, bool) {
	t, ok := s.trees.get(key, zeroTime)
	return t, ok && t.shapedAs(dv)
}

// runBuild builds b in a build slot (or reads it back from its leaves:
// loadOrBuild), unless the tree was cached meanwhile, then lets its
// waiters go. It runs under no request's context: the
// number of builds in flight is bounded by the versions this server holds
// (one per tree key), each reads its file once.
func (s *Server) runBuild(key treeKey, b *treeBuild, e indexed, dv types.DatasetVersion) {
	defer func() {
		s.buildsMu.Lock()
		delete(s.builds, key)
		s.buildsMu.Unlock()
		close(b.done)
	}()
	s.building <- struct{}{}
	defer func() { <-s.building }()
	if t, ok := s.cachedTree(key, dv); ok {
		b.tree = t
		return
	}
	if b.tree, b.err = s.loadOrBuild(e, dv); b.err == nil {
		s.trees.put(key, b.tree, zeroTime)
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// shapeOf returns the tree of a file as dv chunks it, without its Merkle
// tree and rows' sha256, and its chunk count; errNotTheVersion when the
// file cannot hold dv's rows.
func shapeOf(e indexed, dv types.DatasetVersion) (*fileTree, uint64, error) {
	if dv.Rows == 0 || dv.Cols == 0 || dv.RowsPerChunk == 0 || dv.RowsPerChunk > dv.Rows || dv.Cols > 1<<24 {
		return nil, 0, fmt.Errorf("%w: shape %d×%d by %d rows", errNotTheVersion, dv.Rows, dv.Cols, dv.RowsPerChunk)
	}
	body := int64(dv.Rows) * int64(dv.Cols) * 4
	if body/int64(dv.Cols)/4 != int64(dv.Rows) || body+10 > e.size {
		return nil, 0, fmt.Errorf("%w: %d×%d rows in a %d-byte file", errNotTheVersion, dv.Rows, dv.Cols, e.size)
	}
	t := &fileTree{bodyOff: e.size - body, rows: dv.Rows, cols: dv.Cols, rowsPerChunk: dv.RowsPerChunk}
	return t, (dv.Rows + dv.RowsPerChunk - 1) / dv.RowsPerChunk, nil
}

// buildTree builds the tree of a file as dv chunks it by reading its rows.
func buildTree(e indexed, dv types.DatasetVersion) (*fileTree, error) {
	t, n, err := shapeOf(e, dv)
	if err != nil {
		return nil, err
	}
	f, err := e.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	leaves := make([]merkle.Hash, n)
	buf := make([]byte, dv.RowsPerChunk*dv.Cols*4)
	// The chunks, read in order, are contiguous and cover the rows exactly:
	// their bytes hashed in turn are the rows' sha256.
	rows := sha256.New()
	for i := uint64(0); i < n; i++ {
		off, size := t.chunkRange(i)
		if got, err := f.ReadAt(buf[:size], off); int64(got) != size {
			return nil, fmt.Errorf("read chunk %d of %s: %w", i, e.path, errors.Join(err, io.ErrUnexpectedEOF))
		}
		leaves[i] = merkle.LeafHash(i, buf[:size])
		rows.Write(buf[:size])
	}
	if t.tree, err = merkle.FromLeafHashes(leaves); err != nil {
		return nil, err
	}
	t.rowsSha = hex.EncodeToString(rows.Sum(nil))
	return t, nil
}
