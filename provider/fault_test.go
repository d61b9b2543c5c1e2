package provider

import (
	"math"
	"testing"

	"github.com/aichain/aichain/workload"
)

func TestTokenChange(t *testing.T) {
	if _, err := ParseTokenChange("1"); err == nil {
		t.Fatal("no row accepted")
	}
	if _, err := ParseTokenChange("-1:0"); err == nil {
		t.Fatal("a negative chunk accepted")
	}
	tc, err := ParseTokenChange("3:4")
	if err != nil {
		t.Fatal(err)
	}
	// Two chunks of rows of 3 values (2 ids, 1 logit).
	chunks := [][]byte{
		workload.EncodeFloats([]float32{5, 6, 0.5, 7, 8, 0.25}),
		workload.EncodeFloats([]float32{0, 9, 1.5, 104, 101, -2}),
	}
	chunk, row, from, to := tc.Apply(chunks, 3)
	if chunk != 1 || row != 0 || from != 0 || to != 1 {
		t.Fatalf("changed chunk %d row %d %v→%v", chunk, row, from, to)
	}
	got, _ := workload.DecodeFloats(chunks[1])
	if got[0] != 1 || got[3] != 104 || math.Float32bits(got[1]) != math.Float32bits(9) {
		t.Fatalf("chunk 1 now %v", got)
	}
	if _, _, from, to := (&TokenChange{Chunk: 1, Row: 1}).Apply(chunks, 3); from != 104 || to != 103 {
		t.Fatalf("104 → %v", to)
	}
}
