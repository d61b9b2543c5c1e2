package merkle

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestChunkRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 7, 33} {
		chunks := makeChunks(n)
		tree, err := New(chunks)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			c, err := NewChunk(tree, i, chunks[i])
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var back Chunk
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if err := back.Verify(tree.Root(), uint64(n)); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if n == 1 && !strings.Contains(string(b), `"proof":null`) {
				t.Fatalf("a one-leaf proof encodes as %s", b)
			}
		}
	}
	if _, err := NewChunk(mustTree(t, 3), 3, nil); !errors.Is(err, ErrIndex) {
		t.Fatalf("leaf 3 of 3: %v", err)
	}
}

func mustTree(t *testing.T, n int) *Tree {
	t.Helper()
	tree, err := New(makeChunks(n))
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestChunkVerifyRejects(t *testing.T) {
	chunks := makeChunks(5)
	tree := mustTree(t, 5)
	good, err := NewChunk(tree, 2, chunks[2])
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(c *Chunk)) Chunk {
		c := good
		c.Proof = append([]string(nil), good.Proof...)
		f(&c)
		return c
	}
	cases := map[string]struct {
		c    Chunk
		want error
	}{
		"bad hex":       {edit(func(c *Chunk) { c.Proof[0] = "zz" }), ErrProofEncoding},
		"short sibling": {edit(func(c *Chunk) { c.Proof[0] = c.Proof[0][:62] }), ErrProofEncoding},
		"too many":      {edit(func(c *Chunk) { c.Proof = make([]string, MaxProofLen+1) }), ErrProofEncoding},
		"other index":   {edit(func(c *Chunk) { c.Index = 3 }), ErrRootMismatch},
		"other data":    {edit(func(c *Chunk) { c.Data = chunks[1] }), ErrRootMismatch},
		"short proof":   {edit(func(c *Chunk) { c.Proof = c.Proof[1:] }), ErrProofLength},
		"out of range":  {edit(func(c *Chunk) { c.Index = 5 }), ErrIndex},
	}
	for name, c := range cases {
		if err := c.c.Verify(tree.Root(), 5); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if err := good.Verify(tree.Root(), 4); !errors.Is(err, ErrProofLength) {
		t.Errorf("leaf 2 of 4 with the path of leaf 2 of 5: %v", err)
	}
}
