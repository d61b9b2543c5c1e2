package provider

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aichain/aichain/accel/treehash"
	"github.com/aichain/aichain/internal/loadcache"
	"github.com/aichain/aichain/workload/merkle"
)

// ChunkStore keeps each executed job's output in one file
// (<dir>/jobs/<id>.chunks: the chunks back to back, every one but the last
// of the same size), its leaf hashes beside it (<id>.leaves: 32 bytes a
// chunk), and a bounded number of their Merkle trees in memory. A tree not
// in memory is built from its leaf hashes, count × 32 bytes read, never
// from the whole output: a validator asking for one chunk of each of more
// held jobs than the cache keeps cannot make every request read a job's
// whole output (TestAttackValidatorCyclesJobsToRereadOutputs).
type ChunkStore struct {
	dir        string
	trees      loadcache.Cache[uint64, *merkle.Tree]
	buildSlots chan struct{} // rebuilds under way (maxTreeBuilds)
}

// NewChunkStore stores under dir, keeping at most maxTrees trees in memory.
func NewChunkStore(dir string, maxTrees int) *ChunkStore {
	if maxTrees < 1 {
		maxTrees = 256
	}
	return &ChunkStore{dir: filepath.Join(dir, "jobs"), trees: loadcache.Cache[uint64, *merkle.Tree]{MaxEntries: maxTrees},
		buildSlots: make(chan struct{}, maxTreeBuilds)}
}

func (s *ChunkStore) path(id uint64) string {
	return filepath.Join(s.dir, strconv.FormatUint(id, 10)+".chunks")
}

func (s *ChunkStore) leavesPath(id uint64) string {
	return filepath.Join(s.dir, strconv.FormatUint(id, 10)+".leaves")
}

// writeFile writes data to path through a temporary file, so that a file is
// either absent or whole.
func (s *ChunkStore) writeFile(path string, data ...[]byte) error {
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return err
	}
	for _, c := range data {
		if _, err := tmp.Write(c); err != nil {
			return errors.Join(err, tmp.Close(), os.Remove(tmp.Name()))
		}
	}
	if err := tmp.Close(); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	return nil
}

// putLeaves writes a tree's leaf hashes beside its job's chunks.
func (s *ChunkStore) putLeaves(id uint64, t *merkle.Tree) error {
	buf := make([]byte, 0, t.Len()*merkle.HashSize)
	for i := range t.Len() {
		h, err := t.Leaf(i)
		if err != nil {
			return err
		}
		buf = append(buf, h[:]...)
	}
	return s.writeFile(s.leavesPath(id), buf)
}

// Put writes a job's chunks and their leaf hashes and returns their tree.
func (s *ChunkStore) Put(id uint64, chunks [][]byte) (*merkle.Tree, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	if err := s.writeFile(s.path(id), chunks...); err != nil {
		return nil, err
	}
	tree, err := treehash.New(chunks)
	if err != nil {
		return nil, err
	}
	if err := s.putLeaves(id, tree); err != nil {
		return nil, err
	}
	s.trees.Put(id, tree, 0)
	return tree, nil
}

// ErrNoChunk is a chunk this store does not hold.
var ErrNoChunk = errors.New("no such chunk")

// Chunk returns chunk i of a job of count chunks of size bytes (the last one
// may be shorter).
func (s *ChunkStore) Chunk(id uint64, i, count, size uint64) ([]byte, error) {
	if i >= count || size == 0 {
		return nil, fmt.Errorf("%w: job %d chunk %d of %d", ErrNoChunk, id, i, count)
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, int64(i*size))
	if err != nil && !(errors.Is(err, io.EOF) && i == count-1 && n > 0) {
		return nil, fmt.Errorf("job %d chunk %d: %w", id, i, err)
	}
	return buf[:n], nil
}

// Section opens chunk i of a job of count chunks of size bytes (the last one
// may be shorter) for reading, without reading it; the caller closes f.
func (s *ChunkStore) Section(id uint64, i, count, size uint64) (f *os.File, data *io.SectionReader, err error) {
	if i >= count || size == 0 {
		return nil, nil, fmt.Errorf("%w: job %d chunk %d of %d", ErrNoChunk, id, i, count)
	}
	if f, err = os.Open(s.path(id)); err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, nil, errors.Join(err, f.Close())
	}
	total, off := uint64(max(st.Size(), 0)), i*size
	if off >= total || (total-off < size && i != count-1) {
		return nil, nil, errors.Join(fmt.Errorf("%w: job %d chunk %d: the file holds %d bytes", ErrNoChunk, id, i, total), f.Close())
	}
	return f, io.NewSectionReader(f, int64(off), int64(min(size, total-off))), nil
}

// maxTreeBuilds is how many trees are rebuilt from their files at once.
const maxTreeBuilds = 2

// Tree returns a job's tree, rebuilt from its file if it is not in memory.
// Concurrent requests that miss share one rebuild, and at most
// maxTreeBuilds run at once: a burst of the requester's or validators'
// chunk requests after a restart reads each job's file once
// (TestAttackConcurrentMissesRebuildTheTreeOnce).
func (s *ChunkStore) Tree(id, count, size uint64) (*merkle.Tree, error) {
	return s.trees.Load(context.Background(), id, func() (*merkle.Tree, int64, error) {
		s.buildSlots <- struct{}{}
		defer func() { <-s.buildSlots }()
		t, err := s.rebuild(id, count, size)
		return t, 0, err
	})
}

// rebuild builds a job's tree from its leaf hashes, or, where they are
// missing (chunks written before they were kept), hashes its file, read
// once from start to end, and keeps its leaf hashes for the next time.
func (s *ChunkStore) rebuild(id, count, size uint64) (*merkle.Tree, error) {
	if count == 0 || size == 0 {
		return nil, fmt.Errorf("%w: job %d has no chunks", ErrNoChunk, id)
	}
	// The leaf hashes stand for the chunks only while the file holds them
	// all: a file cut short is an error, not a tree.
	st, err := os.Stat(s.path(id))
	if err != nil {
		return nil, err
	}
	if n := uint64(max(st.Size(), 0)); n <= (count-1)*size || n > count*size {
		return nil, fmt.Errorf("%w: job %d: the file holds %d bytes, not %d chunks of %d", ErrNoChunk, id, n, count, size)
	}
	if b, err := os.ReadFile(s.leavesPath(id)); err == nil && uint64(len(b)) == count*merkle.HashSize {
		leaves := make([]merkle.Hash, count)
		for i := range leaves {
			copy(leaves[i][:], b[i*merkle.HashSize:])
		}
		return merkle.FromLeafHashes(leaves)
	}
	t, err := s.hashFile(id, count, size)
	if err != nil {
		return nil, err
	}
	return t, s.putLeaves(id, t)
}

// hashFile hashes a job's file, read once from start to end, into its tree.
func (s *ChunkStore) hashFile(id, count, size uint64) (*merkle.Tree, error) {
	f, err := os.Open(s.path(id))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	leaves := make([]merkle.Hash, count)
	buf := make([]byte, size)
	for i := range leaves {
		n, err := io.ReadFull(r, buf)
		if err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && uint64(i) == count-1 && n > 0) {
			return nil, fmt.Errorf("job %d chunk %d: %w", id, i, err)
		}
		leaves[i] = merkle.LeafHash(uint64(i), buf[:n])
	}
	return merkle.FromLeafHashes(leaves)
}

// Remove deletes a job's chunks.
func (s *ChunkStore) Remove(id uint64) error {
	s.trees.Remove(id)
	var errs []error
	for _, p := range []string{s.path(id), s.leavesPath(id)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
