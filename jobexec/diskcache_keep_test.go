package jobexec

import (
	"path/filepath"
	"testing"
)

// TestKeepReplacesOnlyItsKind: keeping models replaces the models kept and
// leaves the datasets kept, and the other way round, so the provider's two
// calls each step (KeepModels, KeepDatasets) do not undo each other.
func TestKeepReplacesOnlyItsKind(t *testing.T) {
	c := newDiskCache(t.TempDir(), 1<<20)
	m1, m2 := filepath.Join("models", "a.safetensors"), filepath.Join("models", "b.safetensors")
	d1 := filepath.Join("datasets", "c.npy")
	c.keep("models", []string{m1})
	c.keep("datasets", []string{d1})
	c.keep("models", []string{m2})
	if !c.kept[m2] || c.kept[m1] || !c.kept[d1] {
		t.Fatalf("kept after models then datasets then models: %v", c.kept)
	}
	c.keep("datasets", nil)
	if !c.kept[m2] || c.kept[d1] {
		t.Fatalf("kept after the datasets' set emptied: %v", c.kept)
	}
}
