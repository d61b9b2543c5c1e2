package workload

import (
	"math"
	"testing"
)

// TestMLPWork: a row is charged its products and MLPOutputMulAdds per
// output, a chunk GPTCallMulAdds per layer and its read of the weights (a
// row's charge per GPTWeightReadDiv); a short last chunk pays them in full; the layer bound is exact for one-wide layers and never
// below a model's layers.
func TestMLPWork(t *testing.T) {
	widths := []uint64{4, 16, 8, 3}
	row := MLPRowMulAdds(widths)
	if want := uint64(4*16+16*8+8*3) + MLPOutputMulAdds*(16+8+3); row != want {
		t.Fatalf("row charge %d, want %d", row, want)
	}
	reads := row / GPTWeightReadDiv
	job, chunk := MLPWork(row, 3, 10, 4) // chunks of 4, 4 and 2 rows
	if want := 10*row + 3*(3*GPTCallMulAdds+reads); job != want {
		t.Errorf("job %d, want %d", job, want)
	}
	if want := 4*row + 3*GPTCallMulAdds + reads; chunk != want {
		t.Errorf("chunk %d, want %d", chunk, want)
	}
	if _, chunk := MLPWork(row, 3, 2, 8); chunk != 2*row+3*GPTCallMulAdds+reads {
		t.Errorf("a chunk of at most the job's rows: %d", chunk)
	}
	if b := MLPLayersBound(row); b < 3 {
		t.Errorf("bound %d below the model's 3 layers", b)
	}
	ones := make([]uint64, MaxMLPLayers+1)
	for i := range ones {
		ones[i] = 1
	}
	if b := MLPLayersBound(MLPRowMulAdds(ones)); b != MaxMLPLayers {
		t.Errorf("bound for %d one-wide layers: %d", MaxMLPLayers, b)
	}
	if b := MLPLayersBound(math.MaxUint64); b != MaxMLPLayers {
		t.Errorf("bound capped at %d: %d", MaxMLPLayers, b)
	}
	if job, chunk := MLPWork(math.MaxUint64, MaxMLPLayers, 2, 1); job != math.MaxUint64 || chunk != math.MaxUint64 {
		t.Errorf("no saturation: %d, %d", job, chunk)
	}
}
