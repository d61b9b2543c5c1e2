package merkle

import (
	"encoding/hex"
	"fmt"
)

// Chunk is one leaf of a tree travelling with its inclusion proof, in the
// JSON that aichain's agents exchange: the leaf's index, its bytes (base64)
// and its audit path (hex siblings, from the leaf up to the root). A
// provider's output chunks, the dataset rows it serves with them and a
// dataset server's chunks all embed one.
type Chunk struct {
	Index uint64   `json:"index"`
	Data  []byte   `json:"data"`
	Proof []string `json:"proof"`
}

// NewChunk returns leaf i of t, whose bytes are data, with its proof.
func NewChunk(t *Tree, i int, data []byte) (Chunk, error) {
	p, err := t.Proof(i)
	if err != nil {
		return Chunk{}, err
	}
	c := Chunk{Index: uint64(i), Data: data}
	for _, h := range p {
		c.Proof = append(c.Proof, hex.EncodeToString(h[:]))
	}
	return c, nil
}

// Siblings decodes the proof: at most MaxProofLen siblings of HashSize bytes
// each, or an error wrapping ErrProofEncoding.
func (c Chunk) Siblings() (Proof, error) {
	if len(c.Proof) > MaxProofLen {
		return nil, fmt.Errorf("%w: %d siblings, at most %d", ErrProofEncoding, len(c.Proof), MaxProofLen)
	}
	p := make(Proof, len(c.Proof))
	for i, s := range c.Proof {
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: proof sibling %d: %v", ErrProofEncoding, i, err)
		}
		if len(b) != HashSize {
			return nil, fmt.Errorf("%w: proof sibling %d has %d bytes, want %d", ErrProofEncoding, i, len(b), HashSize)
		}
		copy(p[i][:], b)
	}
	return p, nil
}

// Verify checks that the chunk is leaf Index of the leafCount-leaf tree with
// the given root (the root alone does not commit to the count: callers take
// it from the chain). Errors wrap ErrProofEncoding or Verify's errors.
func (c Chunk) Verify(root Hash, leafCount uint64) error {
	p, err := c.Siblings()
	if err != nil {
		return err
	}
	return Verify(root, c.Index, leafCount, c.Data, p)
}
