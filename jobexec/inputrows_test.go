package jobexec

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// TestInputRowsServeTheFilesChunksOrRefuse: a version served from its file
// by offset (InputRows) attaches the same input chunks and proofs as the
// whole file in memory, for every output chunk; a file changed on disk
// since it was checked (a byte flipped, or cut) is refused, never served.
func TestInputRowsServeTheFilesChunksOrRefuse(t *testing.T) {
	const rows, cols, perChunk, chunkRows = 50, 3, 8, 7
	m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(i) / 3
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Describe(npy, perChunk)
	if err != nil {
		t.Fatal(err)
	}
	rec := datamarkettypes.Dataset{Id: 1, Version: 1, Rows: rows, Cols: cols, RowsPerChunk: perChunk, Sha256: d.Sha256}
	mem := &DatasetFile{Record: rec, Description: d}
	path := filepath.Join(t.TempDir(), "v1.npy")
	if err := os.WriteFile(path, npy, 0o644); err != nil {
		t.Fatal(err)
	}
	disk := &InputRows{Record: rec, Tree: d.Tree, path: path, body: int64(len(npy) - rows*cols*4), size: int64(len(npy))}
	for i := uint64(0); i*chunkRows < rows; i++ {
		var a, b ChunkResponse
		a.Index, b.Index = i, i
		if err := a.attachInputs(mem, chunkRows); err != nil {
			t.Fatal(err)
		}
		if err := b.attachInputs(disk, chunkRows); err != nil {
			t.Fatalf("output chunk %d from disk: %v", i, err)
		}
		if !reflect.DeepEqual(a.Inputs, b.Inputs) || a.InputChunkCount != b.InputChunkCount {
			t.Fatalf("output chunk %d: the inputs served from disk differ from the file's", i)
		}
	}

	flipped := append([]byte(nil), npy...)
	flipped[len(flipped)-1] ^= 1
	if err := os.WriteFile(path, flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	var r ChunkResponse
	r.Index = rows / chunkRows
	if err := r.attachInputs(disk, chunkRows); err == nil {
		t.Fatal("a flipped byte in the file was served")
	}
	if err := os.WriteFile(path, npy[:len(npy)-4], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.attachInputs(disk, chunkRows); err == nil {
		t.Fatal("a cut file was served")
	}
}
