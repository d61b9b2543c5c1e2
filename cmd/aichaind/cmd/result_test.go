package cmd

import (
	"testing"

	"github.com/aichain/aichain/workload"
)

// The header the result command writes is the one numpy (and workload's
// parser) reads: same bytes as a whole file's encoding.
func TestResultNPYHeader(t *testing.T) {
	for _, shape := range [][2]int{{1, 1}, {64, 16}, {1000003, 7}} {
		m := &workload.Matrix{Rows: shape[0], Cols: shape[1], Data: make([]float32, shape[0]*shape[1])}
		full, err := workload.EncodeNPY(m)
		if err != nil {
			t.Fatal(err)
		}
		hdr := npyHeader(uint64(shape[0]), uint64(shape[1]))
		if string(full[:len(hdr)]) != string(hdr) || len(full)-len(hdr) != 4*shape[0]*shape[1] {
			t.Fatalf("%v: header %q, want the prefix of %q", shape, hdr, full[:len(hdr)])
		}
	}
}
