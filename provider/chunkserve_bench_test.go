package provider

import (
	"io"
	"testing"

	"github.com/aichain/aichain/workload/merkle"
)

// BenchmarkServeChunk streams a chunk at the chain's 16 MiB limit the way
// writeChunk does (base64, from its file), without and with the leaf-hash
// check before it (checkChunk), so the two are compared in one run.
func BenchmarkServeChunk(b *testing.B) {
	const size = 16 << 20
	chunks := [][]byte{make([]byte, size), make([]byte, size)}
	for i := range chunks[1] {
		chunks[1][i] = byte(i * 7)
	}
	s := NewChunkStore(b.TempDir(), 1<<20)
	tree, err := s.Put(1, chunks)
	if err != nil {
		b.Fatal(err)
	}
	for _, check := range []bool{false, true} {
		name := "stream"
		if check {
			name = "check+stream"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				serveOne(b, s, tree, check)
			}
		})
	}
}

func serveOne(b *testing.B, s *ChunkStore, tree *merkle.Tree, check bool) {
	f, data, err := s.Section(1, 1, 2, 16<<20)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if check {
		if err := checkChunk(data, 1, tree); err != nil {
			b.Fatal(err)
		}
	}
	if err := streamChunk(io.Discard, data, []byte("}")); err != nil {
		b.Fatal(err)
	}
}
