package merkle

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
)

// naiveRoot is RFC 6962's recursive definition, written independently.
func naiveRoot(chunks [][]byte, offset int) Hash {
	n := len(chunks)
	if n == 1 {
		buf := append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0}, chunks[0]...)
		for b := 0; b < 8; b++ {
			buf[1+b] = byte(uint64(offset) >> (56 - 8*b))
		}
		return sha256.Sum256(buf)
	}
	k := 1
	for k*2 < n {
		k *= 2
	}
	l, r := naiveRoot(chunks[:k], offset), naiveRoot(chunks[k:], offset+k)
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// naivePath is RFC 6962's recursive PATH(m, D[n]).
func naivePath(m int, chunks [][]byte, offset int) []Hash {
	n := len(chunks)
	if n == 1 {
		return nil
	}
	k := 1
	for k*2 < n {
		k *= 2
	}
	if m < k {
		return append(naivePath(m, chunks[:k], offset), naiveRoot(chunks[k:], offset+k))
	}
	return append(naivePath(m-k, chunks[k:], offset+k), naiveRoot(chunks[:k], offset))
}

func makeChunks(n int) [][]byte {
	c := make([][]byte, n)
	for i := range c {
		c[i] = []byte(fmt.Sprintf("chunk-%d", i))
	}
	return c
}

func TestLeafAndNodeHash(t *testing.T) {
	got := LeafHash(0x0102030405060708, []byte("ab"))
	want := sha256.Sum256([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 'a', 'b'})
	if got != want {
		t.Fatal("leaf hash encoding")
	}
	var l, r Hash
	l[0], r[31] = 7, 9
	if NodeHash(l, r) != sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...)) {
		t.Fatal("node hash encoding")
	}
	tr, _ := New([][]byte{[]byte("x")})
	if tr.Root() != LeafHash(0, []byte("x")) {
		t.Fatal("one-leaf root is not the leaf hash")
	}
	// The leaf index is committed: the same chunks in another order differ.
	a, _ := RootOf([][]byte{[]byte("p"), []byte("p")})
	b := NodeHash(LeafHash(0, []byte("p")), LeafHash(0, []byte("p")))
	if a == b {
		t.Fatal("leaf index not committed")
	}
}

func TestTreeMatchesRFC6962(t *testing.T) {
	sizes := []int{1, 2, 3, 5, 7, 8}
	for n := 9; n <= 70; n++ {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		chunks := makeChunks(n)
		tr, err := New(chunks)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Len() != n {
			t.Fatalf("n=%d: Len %d", n, tr.Len())
		}
		root := naiveRoot(chunks, 0)
		if tr.Root() != root {
			t.Fatalf("n=%d: root differs from the recursive definition", n)
		}
		for i := 0; i < n; i++ {
			p, err := tr.Proof(i)
			if err != nil {
				t.Fatal(err)
			}
			want := naivePath(i, chunks, 0)
			if len(p) != len(want) {
				t.Fatalf("n=%d i=%d: %d siblings, want %d", n, i, len(p), len(want))
			}
			for s := range p {
				if p[s] != want[s] {
					t.Fatalf("n=%d i=%d: sibling %d differs", n, i, s)
				}
			}
			if l, err := ProofLen(uint64(i), uint64(n)); err != nil || l != len(p) {
				t.Fatalf("n=%d i=%d: ProofLen %d, %v", n, i, l, err)
			}
			if err := Verify(root, uint64(i), uint64(n), chunks[i], p); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if err := VerifyEncoded(root, uint64(i), uint64(n), chunks[i], p.Bytes()); err != nil {
				t.Fatalf("n=%d i=%d encoded: %v", n, i, err)
			}
		}
	}
	// Large chunks give the same tree (accel/treehash hashes them on all cores).
	big := make([][]byte, 33)
	for i := range big {
		big[i] = bytes.Repeat([]byte{byte(i)}, 40000)
	}
	tr, _ := New(big)
	if tr.Root() != naiveRoot(big, 0) {
		t.Fatal("parallel leaf hashing differs")
	}
}

func TestVerifyRejects(t *testing.T) {
	chunks := makeChunks(11)
	tr, _ := New(chunks)
	root := tr.Root()
	p, _ := tr.Proof(6)
	n := uint64(11)
	if err := Verify(root, 6, n, []byte("chunk-7"), p); !errors.Is(err, ErrRootMismatch) {
		t.Errorf("wrong chunk: %v", err)
	}
	if err := Verify(root, 7, n, chunks[6], p); !errors.Is(err, ErrRootMismatch) && !errors.Is(err, ErrProofLength) {
		t.Errorf("wrong index: %v", err)
	}
	// The root does not commit to n by itself (leaf 6 has the same path in
	// trees of 9..16 leaves), but a path that n changes is refused.
	last, _ := tr.Proof(10)
	for _, m := range []uint64{10, 12, 13, 22} {
		if err := Verify(root, 10, m, chunks[10], last); err == nil {
			t.Errorf("last leaf accepted with tree size %d", m)
		}
	}
	if err := Verify(root, 6, n, chunks[6], p[:len(p)-1]); !errors.Is(err, ErrProofLength) {
		t.Errorf("short proof: %v", err)
	}
	if err := Verify(root, 6, n, chunks[6], append(append(Proof{}, p...), Hash{})); !errors.Is(err, ErrProofLength) {
		t.Errorf("long proof: %v", err)
	}
	for s := range p {
		bad := append(Proof{}, p...)
		bad[s][3] ^= 1
		if err := Verify(root, 6, n, chunks[6], bad); !errors.Is(err, ErrRootMismatch) {
			t.Errorf("flipped sibling %d: %v", s, err)
		}
	}
	badRoot := root
	badRoot[0] ^= 0x80
	if err := Verify(badRoot, 6, n, chunks[6], p); !errors.Is(err, ErrRootMismatch) {
		t.Errorf("wrong root: %v", err)
	}
	if err := Verify(root, 11, n, chunks[6], p); !errors.Is(err, ErrIndex) {
		t.Errorf("index = n: %v", err)
	}
	if err := Verify(root, 0, 0, chunks[0], nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("n = 0: %v", err)
	}
	if _, err := tr.Proof(11); !errors.Is(err, ErrIndex) {
		t.Errorf("Proof(11): %v", err)
	}
	if _, err := tr.Proof(-1); !errors.Is(err, ErrIndex) {
		t.Errorf("Proof(-1): %v", err)
	}
	if _, err := New(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("New(nil): %v", err)
	}
	if _, err := FromLeafHashes(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("FromLeafHashes(nil): %v", err)
	}
	if _, err := RootOf(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("RootOf(nil): %v", err)
	}
	// Largest trees: the path of the last leaf of 2^64-1 leaves has 63
	// siblings, of leaf 0 it has 64.
	if l, err := ProofLen(0, ^uint64(0)); err != nil || l != 64 {
		t.Errorf("ProofLen(0, max) = %d, %v", l, err)
	}
}

func TestProofEncoding(t *testing.T) {
	tr, _ := New(makeChunks(9))
	p, _ := tr.Proof(8)
	b := p.Bytes()
	if len(b) != len(p)*HashSize {
		t.Fatalf("encoded %d bytes", len(b))
	}
	q, err := ParseProof(b)
	if err != nil || len(q) != len(p) {
		t.Fatal(err)
	}
	for i := range p {
		if p[i] != q[i] {
			t.Fatal("round trip differs")
		}
	}
	r, err := ProofFromSlices(p.Slices())
	if err != nil || len(r) != len(p) || r[0] != p[0] {
		t.Fatalf("slices round trip: %v", err)
	}
	if empty, err := ParseProof(nil); err != nil || len(empty) != 0 {
		t.Fatalf("empty proof: %v", err)
	}
	if _, err := ParseProof(b[:len(b)-1]); !errors.Is(err, ErrProofEncoding) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := ParseProof(make([]byte, 65*HashSize)); !errors.Is(err, ErrProofEncoding) {
		t.Errorf("65 siblings: %v", err)
	}
	if _, err := ProofFromSlices([][]byte{make([]byte, 31)}); !errors.Is(err, ErrProofEncoding) {
		t.Errorf("31-byte sibling: %v", err)
	}
	if _, err := ProofFromSlices(make([][]byte, 65)); !errors.Is(err, ErrProofEncoding) {
		t.Errorf("65 slices: %v", err)
	}
	if err := VerifyEncoded(tr.Root(), 8, 9, []byte("chunk-8"), append(b, 0)); !errors.Is(err, ErrProofEncoding) {
		t.Errorf("VerifyEncoded of a bad encoding: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	chunks := makeChunks(13)
	tr, _ := New(chunks)
	for _, i := range []int{0, 5, 12} {
		p, _ := tr.Proof(i)
		f.Add(uint64(i), uint64(13), chunks[i], p.Bytes())
	}
	f.Add(uint64(0), uint64(0), []byte{}, []byte{})
	f.Add(^uint64(0), ^uint64(0), []byte("x"), make([]byte, 64*HashSize))
	root := tr.Root()
	f.Fuzz(func(t *testing.T, i, n uint64, chunk, proof []byte) {
		err := VerifyEncoded(root, i, n, chunk, proof)
		if err == nil {
			// Only the genuine chunk at its genuine index verifies. (n is not
			// committed by the root alone: leaf 0 of 13 also verifies as a
			// leaf of 9..16; see the package doc.)
			if i >= 13 || !bytes.Equal(chunk, chunks[i]) {
				t.Fatalf("forged proof accepted: i=%d n=%d", i, n)
			}
		}
		if p, perr := ParseProof(proof); perr == nil {
			if !bytes.Equal(p.Bytes(), proof) {
				t.Fatal("proof encoding does not round-trip")
			}
			if n > 0 && i < n {
				_, _ = RootFromProof(i, n, LeafHash(i, chunk), p)
			}
		}
	})
}
