package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/aichain/aichain/accel/treehash"
	"github.com/aichain/aichain/workload/merkle"
)

// ChunkStore keeps each executed job's output chunks on disk
// (<dir>/jobs/<id>/<i>.chunk) and their Merkle trees in memory once built.
type ChunkStore struct {
	dir   string
	mu    sync.Mutex
	trees map[uint64]*merkle.Tree
}

// NewChunkStore stores under dir.
func NewChunkStore(dir string) *ChunkStore {
	return &ChunkStore{dir: dir, trees: map[uint64]*merkle.Tree{}}
}

func (s *ChunkStore) jobDir(id uint64) string {
	return filepath.Join(s.dir, "jobs", strconv.FormatUint(id, 10))
}

func (s *ChunkStore) chunkPath(id uint64, i int) string {
	return filepath.Join(s.jobDir(id), strconv.Itoa(i)+".chunk")
}

// Put writes all chunks of a job and returns their tree.
func (s *ChunkStore) Put(id uint64, chunks [][]byte) (*merkle.Tree, error) {
	if err := os.MkdirAll(s.jobDir(id), 0o755); err != nil {
		return nil, err
	}
	for i, c := range chunks {
		if err := os.WriteFile(s.chunkPath(id, i), c, 0o644); err != nil {
			return nil, err
		}
	}
	tree, err := treehash.New(chunks)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.trees[id] = tree
	s.mu.Unlock()
	return tree, nil
}

// Chunk returns chunk i of a job.
func (s *ChunkStore) Chunk(id uint64, i int) ([]byte, error) {
	return os.ReadFile(s.chunkPath(id, i))
}

// Tree returns a job's tree, rebuilding it from the chunk files after a restart.
func (s *ChunkStore) Tree(id uint64, chunkCount int) (*merkle.Tree, error) {
	s.mu.Lock()
	t, ok := s.trees[id]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	if chunkCount <= 0 {
		return nil, fmt.Errorf("job %d has no chunks", id)
	}
	leaves := make([]merkle.Hash, chunkCount)
	for i := range leaves {
		c, err := s.Chunk(id, i)
		if err != nil {
			return nil, err
		}
		leaves[i] = merkle.LeafHash(uint64(i), c)
	}
	t, err := merkle.FromLeafHashes(leaves)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.trees[id] = t
	s.mu.Unlock()
	return t, nil
}
