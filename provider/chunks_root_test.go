package provider

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// A tree rebuilt from a damaged leaves file (a bit flipped on disk) gave
// proofs of another root, which every validator sampling the job would
// judge false, and the requester could not download the result it paid
// for. The rebuild now checks the root the agent committed to, and
// rebuilds from the chunks themselves (keeping their leaf hashes again);
// chunks that give another root are ErrTreeRoot, not proofs.
func TestDamagedLeavesFileServesProofsOfAnotherRoot(t *testing.T) {
	const count, size = 64, 1 << 10
	chunks := make([][]byte, count)
	for i := range chunks {
		chunks[i] = bytes.Repeat([]byte{byte(i), 7}, size/2)
	}
	dir := t.TempDir()
	s := NewChunkStore(dir, 1<<20)
	tree, err := s.Put(5, chunks)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	flip := func(path string, at int64) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[at] ^= 1
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	flip(s.leavesPath(5), 32*10+3) // chunk 10's leaf hash
	for range 2 {                  // after a restart, then from the leaves written again
		got, err := NewChunkStore(dir, 1<<20).Tree(5, count, size, root[:])
		if err != nil || got.Root() != root {
			t.Fatalf("rebuilt from a damaged leaves file: %v (the committed root: %v)", err, err == nil && got.Root() == root)
		}
	}
	flip(s.path(5), 10*size+1) // the chunk itself, its leaves file gone
	if err := os.Remove(s.leavesPath(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewChunkStore(dir, 1<<20).Tree(5, count, size, root[:]); !errors.Is(err, ErrTreeRoot) {
		t.Fatalf("chunks that hash to another root: %v, want ErrTreeRoot", err)
	}
}
