// Package merkle implements aichain's chunk commitments: a binary Merkle tree
// over SHA-256 with the shape of RFC 6962 (Certificate Transparency).
//
//	leaf(i, chunk) = SHA-256(0x00 ‖ uint64be(i) ‖ chunk)
//	node(l, r)     = SHA-256(0x01 ‖ l ‖ r)
//
// The tree over n ≥ 1 leaves D[0:n] is MTH(D[0:1]) = leaf, and for n > 1,
// MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two
// smaller than n. Unlike RFC 6962 the leaf hash also commits to the leaf's
// index, so a chunk cannot be presented at another position. A tree over zero
// leaves is undefined: constructors return ErrEmpty.
//
// Inclusion proofs are the RFC 6962 audit path (siblings from the leaf up).
// Encoded, a proof is the concatenation of its 32-byte siblings; decoding is
// strict (length a multiple of 32, at most MaxProofLen siblings), and
// verification requires exactly the path length that (index, n) implies.
//
// As in RFC 6962, the root alone does not commit to n: a leaf whose path is
// the same in trees of several sizes verifies under each of them. Callers
// must know n independently; for a job it follows from the job's parameters
// (ceil(rows/chunk_rows)), which the chain checks against the submitted count.
package merkle

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// HashSize is the size of every hash in the tree.
const HashSize = sha256.Size

// MaxProofLen is the largest number of siblings in any proof (a tree has at
// most 2^64-1 leaves).
const MaxProofLen = 64

// Hash is a SHA-256 digest.
type Hash = [HashSize]byte

// Errors returned by this package (test with errors.Is).
var (
	// ErrEmpty reports a tree over zero leaves.
	ErrEmpty = errors.New("merkle: no leaves")
	// ErrIndex reports a leaf index outside [0, n).
	ErrIndex = errors.New("merkle: leaf index out of range")
	// ErrProofEncoding reports a proof whose encoding is malformed.
	ErrProofEncoding = errors.New("merkle: malformed proof encoding")
	// ErrProofLength reports a proof whose number of siblings does not match
	// the path of (index, n).
	ErrProofLength = errors.New("merkle: wrong proof length")
	// ErrRootMismatch reports a proof that does not lead to the root.
	ErrRootMismatch = errors.New("merkle: proof does not match root")
)

// LeafHash returns SHA-256(0x00 ‖ uint64be(i) ‖ chunk).
func LeafHash(i uint64, chunk []byte) Hash {
	h := NewLeafHash(i)
	h.Write(chunk)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NewLeafHash returns a hash of leaf i that its chunk is written into, for
// a chunk read as a stream: its Sum is LeafHash(i, chunk).
func NewLeafHash(i uint64) hash.Hash {
	var pre [9]byte
	binary.BigEndian.PutUint64(pre[1:], i)
	h := sha256.New()
	h.Write(pre[:])
	return h
}

// NodeHash returns SHA-256(0x01 ‖ left ‖ right).
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*HashSize]byte
	buf[0] = 1
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// Tree is a Merkle tree that keeps all its levels, so that any number of
// proofs can be produced without rehashing. Level 0 holds the leaf hashes;
// level l+1 pairs the nodes of level l, and an unpaired last node is carried
// up unchanged, which yields exactly the RFC 6962 shape.
type Tree struct {
	levels [][]Hash
}

// New hashes the chunks as leaves 0..n-1, one after the other, and builds
// the tree. Agents that commit to large outputs hash the leaves on all cores
// with package accel/treehash, which builds the same tree.
func New(chunks [][]byte) (*Tree, error) {
	if len(chunks) == 0 {
		return nil, ErrEmpty
	}
	leaves := make([]Hash, len(chunks))
	for i, c := range chunks {
		leaves[i] = LeafHash(uint64(i), c)
	}
	return FromLeafHashes(leaves)
}

// FromLeafHashes builds the tree over already computed leaf hashes. The slice
// is retained as level 0.
func FromLeafHashes(leaves []Hash) (*Tree, error) {
	if len(leaves) == 0 {
		return nil, ErrEmpty
	}
	levels := [][]Hash{leaves}
	for cur := leaves; len(cur) > 1; {
		next := make([]Hash, (len(cur)+1)/2)
		for i := 0; i+1 < len(cur); i += 2 {
			next[i/2] = NodeHash(cur[i], cur[i+1])
		}
		if len(cur)%2 == 1 {
			next[len(next)-1] = cur[len(cur)-1]
		}
		levels = append(levels, next)
		cur = next
	}
	return &Tree{levels: levels}, nil
}

// RootOf returns the root over the chunks.
func RootOf(chunks [][]byte) (Hash, error) {
	t, err := New(chunks)
	if err != nil {
		return Hash{}, err
	}
	return t.Root(), nil
}

// Len returns the number of leaves.
func (t *Tree) Len() int { return len(t.levels[0]) }

// Root returns the root hash.
func (t *Tree) Root() Hash { return t.levels[len(t.levels)-1][0] }

// Leaf returns leaf hash i.
func (t *Tree) Leaf(i int) (Hash, error) {
	if i < 0 || i >= t.Len() {
		return Hash{}, fmt.Errorf("%w: %d of %d", ErrIndex, i, t.Len())
	}
	return t.levels[0][i], nil
}

// Proof returns the inclusion proof (audit path) of leaf i.
func (t *Tree) Proof(i int) (Proof, error) {
	if i < 0 || i >= t.Len() {
		return nil, fmt.Errorf("%w: %d of %d", ErrIndex, i, t.Len())
	}
	p := make(Proof, 0, len(t.levels)-1)
	idx := i
	for _, lvl := range t.levels[:len(t.levels)-1] {
		if sib := idx ^ 1; sib < len(lvl) {
			p = append(p, lvl[sib])
		}
		idx >>= 1
	}
	return p, nil
}

// ProofLen returns the number of siblings in the proof of leaf i of n.
func ProofLen(i, n uint64) (int, error) {
	if n == 0 {
		return 0, ErrEmpty
	}
	if i >= n {
		return 0, fmt.Errorf("%w: %d of %d", ErrIndex, i, n)
	}
	l := 0
	for fn, sn := i, n-1; sn > 0; fn, sn = fn>>1, sn>>1 {
		if fn|1 <= sn {
			l++
		}
	}
	return l, nil
}
