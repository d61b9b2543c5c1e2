package provider

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/aichain/aichain/accel/treehash"
	"github.com/aichain/aichain/workload/merkle"
)

// ChunkStore keeps each executed job's output in one file
// (<dir>/jobs/<id>.chunks: the chunks back to back, every one but the last
// of the same size) and a bounded number of their Merkle trees in memory.
type ChunkStore struct {
	dir string

	mu    sync.Mutex
	trees map[uint64]*merkle.Tree
	order []uint64
	max   int
}

// NewChunkStore stores under dir, keeping at most maxTrees trees in memory.
func NewChunkStore(dir string, maxTrees int) *ChunkStore {
	if maxTrees < 1 {
		maxTrees = 256
	}
	return &ChunkStore{dir: filepath.Join(dir, "jobs"), trees: map[uint64]*merkle.Tree{}, max: maxTrees}
}

func (s *ChunkStore) path(id uint64) string {
	return filepath.Join(s.dir, strconv.FormatUint(id, 10)+".chunks")
}

// Put writes a job's chunks (through a temporary file, so that a file is
// either absent or whole) and returns their tree.
func (s *ChunkStore) Put(id uint64, chunks [][]byte) (*merkle.Tree, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return nil, err
	}
	for _, c := range chunks {
		if _, err := tmp.Write(c); err != nil {
			return nil, errors.Join(err, tmp.Close(), os.Remove(tmp.Name()))
		}
	}
	if err := tmp.Close(); err != nil {
		return nil, errors.Join(err, os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), s.path(id)); err != nil {
		return nil, errors.Join(err, os.Remove(tmp.Name()))
	}
	tree, err := treehash.New(chunks)
	if err != nil {
		return nil, err
	}
	s.keep(id, tree)
	return tree, nil
}

func (s *ChunkStore) keep(id uint64, t *merkle.Tree) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.trees[id]; !ok {
		s.order = append(s.order, id)
	}
	s.trees[id] = t
	for len(s.order) > s.max {
		delete(s.trees, s.order[0])
		s.order = s.order[1:]
	}
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

// Tree returns a job's tree, rebuilt from its file if it is not in memory.
func (s *ChunkStore) Tree(id, count, size uint64) (*merkle.Tree, error) {
	s.mu.Lock()
	t, ok := s.trees[id]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	leaves := make([]merkle.Hash, count)
	for i := range leaves {
		c, err := s.Chunk(id, uint64(i), count, size)
		if err != nil {
			return nil, err
		}
		leaves[i] = merkle.LeafHash(uint64(i), c)
	}
	t, err := merkle.FromLeafHashes(leaves)
	if err != nil {
		return nil, err
	}
	s.keep(id, t)
	return t, nil
}

// Remove deletes a job's chunks.
func (s *ChunkStore) Remove(id uint64) error {
	s.mu.Lock()
	delete(s.trees, id)
	s.mu.Unlock()
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
