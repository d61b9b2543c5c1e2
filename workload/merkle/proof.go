package merkle

import (
	"crypto/subtle"
	"fmt"
)

// Proof is an inclusion proof: the sibling hashes from the leaf up to the
// root.
type Proof []Hash

// Bytes encodes the proof as the concatenation of its siblings.
func (p Proof) Bytes() []byte {
	b := make([]byte, 0, len(p)*HashSize)
	for _, h := range p {
		b = append(b, h[:]...)
	}
	return b
}

// Slices returns the siblings as separate byte slices (e.g. for a repeated
// bytes field of a protobuf message).
func (p Proof) Slices() [][]byte {
	out := make([][]byte, len(p))
	for i, h := range p {
		out[i] = append([]byte(nil), h[:]...)
	}
	return out
}

// ParseProof decodes a proof encoded by Proof.Bytes. The length must be a
// multiple of HashSize and at most MaxProofLen siblings.
func ParseProof(b []byte) (Proof, error) {
	if len(b)%HashSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a multiple of %d", ErrProofEncoding, len(b), HashSize)
	}
	if len(b)/HashSize > MaxProofLen {
		return nil, fmt.Errorf("%w: %d siblings, at most %d", ErrProofEncoding, len(b)/HashSize, MaxProofLen)
	}
	p := make(Proof, len(b)/HashSize)
	for i := range p {
		copy(p[i][:], b[i*HashSize:])
	}
	return p, nil
}

// ProofFromSlices decodes a proof given as one slice per sibling; every slice
// must be exactly HashSize bytes.
func ProofFromSlices(s [][]byte) (Proof, error) {
	if len(s) > MaxProofLen {
		return nil, fmt.Errorf("%w: %d siblings, at most %d", ErrProofEncoding, len(s), MaxProofLen)
	}
	p := make(Proof, len(s))
	for i, h := range s {
		if len(h) != HashSize {
			return nil, fmt.Errorf("%w: sibling %d has %d bytes, want %d", ErrProofEncoding, i, len(h), HashSize)
		}
		copy(p[i][:], h)
	}
	return p, nil
}

// RootFromProof computes the root that leaf hash leaf at index i of a tree of
// n leaves leads to with proof p (RFC 9162 §2.1.3.2). The proof must have
// exactly the length the path of (i, n) requires.
func RootFromProof(i, n uint64, leaf Hash, p Proof) (Hash, error) {
	want, err := ProofLen(i, n)
	if err != nil {
		return Hash{}, err
	}
	if len(p) != want {
		return Hash{}, fmt.Errorf("%w: %d siblings, leaf %d of %d needs %d", ErrProofLength, len(p), i, n, want)
	}
	fn, sn := i, n-1
	r := leaf
	for _, s := range p {
		if sn == 0 {
			return Hash{}, fmt.Errorf("%w: too many siblings for leaf %d of %d", ErrProofLength, i, n)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(s, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, s)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		// Unreachable when len(p) == ProofLen(i, n); kept as a guard.
		return Hash{}, fmt.Errorf("%w: path of leaf %d of %d not consumed", ErrProofLength, i, n)
	}
	return r, nil
}

// Verify checks that chunk is leaf i of the n-leaf tree with the given root.
// It returns nil on success and an error wrapping ErrIndex, ErrEmpty,
// ErrProofLength or ErrRootMismatch otherwise.
func Verify(root Hash, i, n uint64, chunk []byte, p Proof) error {
	if n == 0 {
		return ErrEmpty
	}
	if i >= n {
		return fmt.Errorf("%w: %d of %d", ErrIndex, i, n)
	}
	got, err := RootFromProof(i, n, LeafHash(i, chunk), p)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got[:], root[:]) != 1 {
		return fmt.Errorf("%w: leaf %d of %d", ErrRootMismatch, i, n)
	}
	return nil
}

// VerifyEncoded is Verify with the proof in its Bytes encoding.
func VerifyEncoded(root Hash, i, n uint64, chunk, proof []byte) error {
	p, err := ParseProof(proof)
	if err != nil {
		return err
	}
	return Verify(root, i, n, chunk, p)
}
