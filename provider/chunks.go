package provider

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aichain/aichain/accel/treehash"
	"github.com/aichain/aichain/internal/loadcache"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/workload/merkle"
)

// ChunkStore keeps each executed job's output in one file
// (<dir>/jobs/<id>.chunks: the chunks back to back, every one but the last
// of the same size), its leaf hashes beside it (<id>.leaves: 32 bytes a
// chunk), and some of their Merkle trees in memory: at most
// maxTreesInMemory, within a byte bound (treeMemBytes each) that the agent
// counts in its memory budget (MemoryBytes, Agent.jobsMemory). A tree not
// in memory (evicted, or after a restart) is built again from its leaf
// hashes, count × 32 bytes read, never from the whole output: a validator
// asking for one chunk of each of more held jobs than the cache keeps
// cannot make every request read a job's whole output
// (TestAttackValidatorCyclesJobsToRereadOutputs), and an evicted tree is
// never lost, only rebuilt. Bounded by count alone, 256 trees of jobs of
// many tiny chunks held 64 MiB each at the chain's chunk limit, counted
// nowhere (TestAttackHeldJobsTreesOverrunTheMemoryBudget).
type ChunkStore struct {
	dir        string
	treeBytes  uint64
	trees      loadcache.Cache[uint64, *merkle.Tree]
	buildSlots chan struct{} // rebuilds under way (maxTreeBuilds)
}

// maxTreesInMemory bounds the trees kept in memory however small (a use
// walks the cache's order: it stays short).
const maxTreesInMemory = 256

// NewChunkStore stores under dir, keeping trees in memory within treeBytes
// (at least one byte: a store that keeps none rebuilds every tree asked
// for).
func NewChunkStore(dir string, treeBytes uint64) *ChunkStore {
	treeBytes = min(max(treeBytes, 1), math.MaxInt64)
	return &ChunkStore{dir: filepath.Join(dir, "jobs"), treeBytes: treeBytes,
		trees:      loadcache.Cache[uint64, *merkle.Tree]{MaxEntries: maxTreesInMemory, Budget: int64(treeBytes)},
		buildSlots: make(chan struct{}, maxTreeBuilds)}
}

// TreeMemoryBytes is the memory for the trees of served outputs out of an
// agent's memory budget: a thirty-second of it, at most 256 MiB (reached
// from an 8 GiB budget), which holds 64 trees of the chain's default
// max_chunk_count (65,536 chunks, 4 MiB each).
func TreeMemoryBytes(budget uint64) uint64 { return min(budget/32, 256<<20) }

// MemoryBytes is the most the store holds in memory of its own: its trees'
// bound, and beside it the trees being rebuilt (maxTreeBuilds at once, each
// at most a quarter of the bound: the agent bids on no job whose tree is
// larger, maxTreeBytes).
func (s *ChunkStore) MemoryBytes() uint64 {
	return common.SatAdd(s.treeBytes, common.SatMul(maxTreeBuilds, s.maxTreeBytes()))
}

// maxTreeBytes is the largest tree of a job the agent bids on: a quarter of
// the trees' bound, so that the cache keeps at least four of them and a
// rebuild never holds more than that beside it.
func (s *ChunkStore) maxTreeBytes() uint64 { return s.treeBytes / 4 }

// treeMemBytes is what the tree of a job of count chunks takes in memory
// (merkle.Tree keeps every level: count leaves, then half as many nodes,
// and so on up to the root, 32 bytes each, a slice header a level),
// saturating.
func treeMemBytes(count uint64) uint64 {
	const header, hash = 24, merkle.HashSize
	n := uint64(64) // the tree and its levels' slice
	for level := count; ; level = level/2 + level%2 {
		n = common.SatAdd(n, common.SatAdd(common.SatMul(level, hash), header))
		if level <= 1 {
			return n
		}
	}
}

// treeCost is treeMemBytes as the cache counts it.
func treeCost(count uint64) int64 { return int64(min(treeMemBytes(count), math.MaxInt64)) }

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
	s.trees.Put(id, tree, treeCost(uint64(tree.Len())))
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

// ErrChunkDamaged is a chunk whose bytes on disk are not those its leaf
// hash in the job's tree (checked against the committed root) stands for.
var ErrChunkDamaged = errors.New("the chunk's bytes on disk do not hash to its leaf")

// checkChunk reads chunk i of tree from data, hashes it and seeks data back
// to its start: a chunk damaged on disk is ErrChunkDamaged, never served
// with the proof of the leaf it no longer is.
func checkChunk(data *io.SectionReader, i uint64, tree *merkle.Tree) error {
	want, err := tree.Leaf(int(min(i, math.MaxInt32)))
	if err != nil {
		return err
	}
	h := merkle.NewLeafHash(i)
	if _, err := io.Copy(h, data); err != nil {
		return err
	}
	if _, err := data.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if !bytes.Equal(h.Sum(nil), want[:]) {
		return fmt.Errorf("%w: chunk %d", ErrChunkDamaged, i)
	}
	return nil
}

// maxTreeBuilds is how many trees are rebuilt from their files at once.
const maxTreeBuilds = 2

// Tree returns a job's tree, rebuilt from its file if it is not in memory.
// Concurrent requests that miss share one rebuild, and at most
// maxTreeBuilds run at once: a burst of the requester's or validators'
// chunk requests after a restart reads each job's file once
// (TestAttackConcurrentMissesRebuildTheTreeOnce). A rebuilt tree must have
// root, the output root the agent committed to (none: not checked): leaf
// hashes that give another (a damaged leaves file) are rebuilt from the
// chunks themselves, and chunks that give another are an error
// (ErrTreeRoot), never proofs every validator would judge false
// (TestDamagedLeavesFileServesProofsOfAnotherRoot).
func (s *ChunkStore) Tree(id, count, size uint64, root []byte) (*merkle.Tree, error) {
	return s.trees.Load(context.Background(), id, func() (*merkle.Tree, int64, error) {
		s.buildSlots <- struct{}{}
		defer func() { <-s.buildSlots }()
		t, err := s.rebuild(id, count, size, root)
		return t, treeCost(count), err
	})
}

// ErrTreeRoot is a job's chunks on disk whose tree is not the output root
// the agent committed to.
var ErrTreeRoot = errors.New("the job's chunks do not hash to its output root")

// hasRoot reports whether t's root is root (any, when root is empty).
func hasRoot(t *merkle.Tree, root []byte) bool {
	r := t.Root()
	return len(root) == 0 || bytes.Equal(r[:], root)
}

// rebuild builds a job's tree from its leaf hashes, or, where they are
// missing (chunks written before they were kept), hashes its file, read
// once from start to end, and keeps its leaf hashes for the next time.
func (s *ChunkStore) rebuild(id, count, size uint64, root []byte) (*merkle.Tree, error) {
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
	if leaves := s.readLeaves(id, count); leaves != nil {
		if t, err := merkle.FromLeafHashes(leaves); err != nil || hasRoot(t, root) {
			return t, err
		}
	}
	t, err := s.hashFile(id, count, size)
	if err != nil {
		return nil, err
	}
	if !hasRoot(t, root) {
		return nil, fmt.Errorf("%w: job %d: %x, committed %x", ErrTreeRoot, id, t.Root(), root)
	}
	return t, s.putLeaves(id, t)
}

// readLeaves reads a job's leaf hashes straight into the tree's first
// level (no copy of the file beside it: a rebuild holds its tree alone);
// nil where the file is missing or is not count hashes.
func (s *ChunkStore) readLeaves(id, count uint64) []merkle.Hash {
	f, err := os.Open(s.leavesPath(id))
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || count > math.MaxInt64/merkle.HashSize || st.Size() != int64(count*merkle.HashSize) {
		return nil
	}
	r := bufio.NewReaderSize(f, 64<<10)
	leaves := make([]merkle.Hash, count)
	for i := range leaves {
		if _, err := io.ReadFull(r, leaves[i][:]); err != nil {
			return nil
		}
	}
	return leaves
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
