package vectors

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/aichain/aichain/workload"
)

// Moved from workload's TestNPYRoundTrip with ReadNPYFile.
func TestReadNPYFile(t *testing.T) {
	m := &workload.Matrix{Rows: 2, Cols: 3, Data: []float32{1, -2, 3.5, 0, float32(math.Copysign(0, -1)), 1e-40}}
	dir := t.TempDir()
	path := filepath.Join(dir, "d.npy")
	b, _ := workload.EncodeNPY(m)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNPYFile(path, workload.SHA256Hex(b), workload.Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNPYFile(path, workload.SHA256Hex(b), workload.Limits{MaxFileBytes: int64(len(b) - 1)}); !errors.Is(err, workload.ErrTooLarge) {
		t.Fatalf("oversized file: %v", err)
	}
}

// Moved from workload's TestSafetensorsRoundTrip with ReadSafetensorsFile.
func TestReadSafetensorsFile(t *testing.T) {
	m := &workload.Model{Layers: []workload.Layer{
		{In: 2, Out: 3, Weight: []float32{1, 0, 0, 1, 1, -1}, Bias: []float32{0, 0, -10}},
		{In: 3, Out: 1, Weight: []float32{1, 2, 3}},
	}}
	m.Metadata = map[string]string{"format": "pt", "a": "b"}
	b, err := workload.EncodeSafetensors(m)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSafetensorsFile(path, workload.SHA256Hex(b), workload.Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSafetensorsFile(path, workload.SHA256Hex(b), workload.Limits{MaxFileBytes: 10}); !errors.Is(err, workload.ErrTooLarge) {
		t.Fatalf("oversized file: %v", err)
	}
}
