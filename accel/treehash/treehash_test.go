package treehash

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/aichain/aichain/workload/merkle"
)

// TestSameTreeAsMerkle: on all cores or not, the tree is merkle.New's, every
// proof included.
func TestSameTreeAsMerkle(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	for _, c := range []struct{ n, size int }{{1, 10}, {2, parallelBytes}, {33, 40000}, {70, 100}, {257, parallelBytes / 200}} {
		chunks := make([][]byte, c.n)
		for i := range chunks {
			chunks[i] = bytes.Repeat([]byte{byte(i), byte(i >> 8)}, c.size/2)
		}
		want, err := merkle.New(chunks)
		if err != nil {
			t.Fatal(err)
		}
		got, err := New(chunks)
		if err != nil {
			t.Fatal(err)
		}
		if got.Root() != want.Root() || got.Len() != want.Len() {
			t.Fatalf("%d chunks of %d bytes: root %x, merkle.New %x", c.n, c.size, got.Root(), want.Root())
		}
		for i := 0; i < c.n; i++ {
			gp, _ := got.Proof(i)
			wp, _ := want.Proof(i)
			if !bytes.Equal(gp.Bytes(), wp.Bytes()) {
				t.Fatalf("%d chunks: proof %d differs", c.n, i)
			}
		}
		if r, err := Root(chunks); err != nil || r != want.Root() {
			t.Fatalf("Root: %x, %v", r, err)
		}
	}
	if _, err := New(nil); !errors.Is(err, merkle.ErrEmpty) {
		t.Fatalf("no chunks: %v", err)
	}
}
