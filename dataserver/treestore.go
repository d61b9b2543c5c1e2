package dataserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aichain/aichain/workload/merkle"
	"github.com/aichain/aichain/x/datamarket/types"
)

// The chunk trees of at most MaxTrees versions are kept in memory, and an
// owner may hold more versions than that. A tree is built by reading its
// whole file; a probe needs no access and records no nonce, and the
// validators', the active providers' and the known accounts' probes have
// the probed version's tree checked (probe.go). Probing more versions than
// MaxTrees in turn, a copy of a handful of signed probes had the server read
// a whole file a probe (TestAttackProbesCyclingVersionsForceFullReads).
//
// So a built tree's leaves (32 bytes a chunk) and its rows' sha256 are kept
// in a file of Config.TreeDir, named by the file's sha256, its shape and its
// rows_per_chunk; a tree evicted from memory, or lost in a restart, is read
// back from it and reads no byte of the served file. A leaves file holds its
// file's sha256 and shape and ends with the sha256 of all it holds: one that
// does not match is rebuilt from the served file and written again. The
// tree read back is the one a build makes: it is checked against each
// version that asks for it, its root against the version's content_root,
// as a built one is (tree.check).
//
// Bounds: at most leafShapes leaves files for one served file (an owner
// lists a file with one shape; past that a tree is kept in memory only),
// each 32 bytes a chunk plus leavesOverhead; the leaves of a file that left
// the index are removed at the next re-index (pruneLeaves).

const (
	leavesMagic = "AICLEAV1"
	// leavesHead: magic, the file's sha256, rows, cols, rows_per_chunk,
	// the rows' sha256; a checksum follows the leaves.
	leavesHead     = len(leavesMagic) + 32 + 3*8 + 32
	leavesOverhead = leavesHead + 32
	leavesExt      = ".leaves"
	leafShapes     = 4
)

// errBadLeaves is a leaves file that does not hold what its name says.
var errBadLeaves = errors.New("leaves file does not match")

// errLeafShapes is a tree not kept on disk: its file has leafShapes
// leaves files already.
var errLeafShapes = errors.New("too many shapes of one file on disk")

func leavesPath(dir string, e indexed, dv types.DatasetVersion) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%dx%d-%d%s", e.sha, dv.Rows, dv.Cols, dv.RowsPerChunk, leavesExt))
}

// loadOrBuild returns the tree of a file as dv chunks it: read back from
// its leaves when Config.TreeDir has them, or built from the file, and its
// leaves then written there.
func (s *Server) loadOrBuild(e indexed, dv types.DatasetVersion) (*fileTree, error) {
	dir := s.cfg.TreeDir
	if dir == "" {
		return buildTree(e, dv)
	}
	t, err := loadLeaves(leavesPath(dir, e, dv), e, dv)
	switch {
	case err == nil:
		return t, nil
	case errors.Is(err, errNotTheVersion):
		return nil, err // a shape the file cannot hold: nothing to read
	case !errors.Is(err, fs.ErrNotExist):
		s.cfg.Logger.Warn("cannot read a tree's leaves; reading its file", "sha256", e.sha, "err", err)
	}
	if t, err = buildTree(e, dv); err != nil {
		return nil, err
	}
	if err := saveLeaves(dir, e, dv, t); errors.Is(err, errLeafShapes) {
		s.cfg.Logger.Debug("tree kept in memory only", "sha256", e.sha, "err", err)
	} else if err != nil {
		s.cfg.Logger.Warn("cannot write a tree's leaves", "sha256", e.sha, "err", err)
	}
	return t, nil
}

// loadLeaves reads the tree of e as dv chunks it from its leaves file.
func loadLeaves(path string, e indexed, dv types.DatasetVersion) (*fileTree, error) {
	t, n, err := shapeOf(e, dv)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := int64(leavesOverhead) + 32*int64(n)
	if st.Size() != size {
		return nil, fmt.Errorf("%w: %s has %d bytes, want %d", errBadLeaves, path, st.Size(), size)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, err
	}
	body, sum := buf[:size-32], buf[size-32:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("%w: %s: checksum", errBadLeaves, path)
	}
	t.rowsSha = hex.EncodeToString(body[leavesHead-32 : leavesHead])
	if !bytes.Equal(body[:leavesHead], leavesHeader(e, dv, t.rowsSha)) {
		return nil, fmt.Errorf("%w: %s: another file or shape", errBadLeaves, path)
	}
	leaves := make([]merkle.Hash, n)
	for i := range leaves {
		copy(leaves[i][:], body[leavesHead+32*i:])
	}
	if t.tree, err = merkle.FromLeafHashes(leaves); err != nil {
		return nil, err
	}
	return t, nil
}

// leavesHeader is the head of e's leaves file as dv chunks it.
func leavesHeader(e indexed, dv types.DatasetVersion, rowsSha string) []byte {
	h := make([]byte, 0, leavesHead)
	h = append(h, leavesMagic...)
	fileSha, _ := hex.DecodeString(e.sha)
	h = append(h, fileSha...)
	h = binary.LittleEndian.AppendUint64(h, dv.Rows)
	h = binary.LittleEndian.AppendUint64(h, dv.Cols)
	h = binary.LittleEndian.AppendUint64(h, dv.RowsPerChunk)
	rows, _ := hex.DecodeString(rowsSha)
	return append(h, rows...)
}

// saveLeaves writes t's leaves file (a temporary file renamed), unless its
// file has leafShapes of them already (errLeafShapes).
func saveLeaves(dir string, e indexed, dv types.DatasetVersion, t *fileTree) error {
	path := leavesPath(dir, e, dv)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	others := 0
	for _, de := range entries {
		name := de.Name()
		if strings.HasPrefix(name, e.sha+"-") && strings.HasSuffix(name, leavesExt) && name != filepath.Base(path) {
			others++
		}
	}
	if others >= leafShapes {
		return fmt.Errorf("%w: %d leaves files of %s", errLeafShapes, others, e.sha)
	}
	buf := leavesHeader(e, dv, t.rowsSha)
	for i := range t.tree.Len() {
		leaf, err := t.tree.Leaf(i)
		if err != nil {
			return err
		}
		buf = append(buf, leaf[:]...)
	}
	sum := sha256.Sum256(buf)
	buf = append(buf, sum[:]...)
	if err := os.WriteFile(path+".tmp", buf, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// pruneLeaves removes from dir the leaves files (written or half-written)
// of the files no longer indexed.
func (s *Server) pruneLeaves() {
	dir := s.cfg.TreeDir
	if dir == "" {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.cfg.Logger.Warn("cannot list the tree folder", "dir", dir, "err", err)
		return
	}
	held := s.index.shas()
	for _, de := range entries {
		name := de.Name()
		sha, _, ok := strings.Cut(name, "-")
		if !ok || held[sha] || !(strings.HasSuffix(name, leavesExt) || strings.HasSuffix(name, leavesExt+".tmp")) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.cfg.Logger.Warn("cannot remove a tree's leaves", "file", name, "err", err)
		}
	}
}
