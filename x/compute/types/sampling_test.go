package types_test

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

func TestSampleIndices(t *testing.T) {
	seed := types.SampleSeed([]byte("header"), 42)
	idx := types.SampleIndices(seed, 1000, 8)
	if len(idx) != 8 {
		t.Fatalf("%d indices", len(idx))
	}
	for i, v := range idx {
		if v >= 1000 || (i > 0 && idx[i-1] >= v) {
			t.Fatalf("indices not distinct, sorted and in range: %v", idx)
		}
	}
	again := types.SampleIndices(seed, 1000, 8)
	for i := range idx {
		if idx[i] != again[i] {
			t.Fatal("not deterministic")
		}
	}
	if other := types.SampleIndices(types.SampleSeed([]byte("header"), 43), 1000, 8); fmt.Sprint(other) == fmt.Sprint(idx) {
		t.Fatal("the job id does not change the sample")
	}
	if all := types.SampleIndices(seed, 3, 8); fmt.Sprint(all) != "[0 1 2]" {
		t.Fatalf("few chunks: %v, want all", all)
	}
	if few := types.SampleIndices(seed, 9, 8); len(few) != 8 {
		t.Fatalf("9 chunks, 8 samples: %v", few)
	}
}

// TestSampleVector pins the seed, the indices and the selection (checked
// with Python hashlib): seed = SHA-256("aichain/sample" ‖ "header" ‖
// uint64be(42)), whose first 8 bytes are 3623 mod 10000.
func TestSampleVector(t *testing.T) {
	seed := types.SampleSeed([]byte("header"), 42)
	if got := hex.EncodeToString(seed[:]); got != "44c9b7b114b3cce74294229abec8fb9c190ae79cdc4952497234dddb35fa0267" {
		t.Fatalf("seed %s", got)
	}
	if got := fmt.Sprint(types.SampleIndices(seed, 1000, 8)); got != "[9 160 267 300 339 648 697 891]" {
		t.Fatalf("indices %s", got)
	}
	for rate, want := range map[uint32]bool{0: false, 3623: false, 3624: true, 10_000: true, 20_000: true} {
		if got := types.SampleSelected(seed, rate); got != want {
			t.Errorf("rate %d: selected %t, want %t", rate, got, want)
		}
	}
}
