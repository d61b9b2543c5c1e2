package merkle

import (
	"testing"
)

const (
	benchLeaves    = 4096
	benchChunkSize = 4096
)

func benchChunks() [][]byte {
	c := make([][]byte, benchLeaves)
	for i := range c {
		c[i] = make([]byte, benchChunkSize)
		c[i][0] = byte(i)
	}
	return c
}

// BenchmarkTreeBuild hashes 4096 leaves of 4 KiB (16 MiB) and builds the tree.
func BenchmarkTreeBuild(b *testing.B) {
	chunks := benchChunks()
	b.SetBytes(benchLeaves * benchChunkSize)
	for i := 0; i < b.N; i++ {
		if _, err := New(chunks); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProof produces one proof from a built 4096-leaf tree.
func BenchmarkProof(b *testing.B) {
	t, _ := New(benchChunks())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := t.Proof(i % benchLeaves); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify verifies one 4 KiB chunk against a 4096-leaf root.
func BenchmarkVerify(b *testing.B) {
	chunks := benchChunks()
	t, _ := New(chunks)
	root := t.Root()
	proofs := make([][]byte, 64)
	for i := range proofs {
		p, _ := t.Proof(i * 61)
		proofs[i] = p.Bytes()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(proofs)
		if err := VerifyEncoded(root, uint64(j*61), benchLeaves, chunks[j*61], proofs[j]); err != nil {
			b.Fatal(err)
		}
	}
}
