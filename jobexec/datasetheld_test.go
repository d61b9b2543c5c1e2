package jobexec

import (
	"context"
	"reflect"
	"testing"

	"github.com/aichain/aichain/internal/loadcache"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// A version as the resolver keeps it (held: no file, no chunk views)
// attaches the same input chunks and proofs as the whole file, npy-f32 and
// npy-i32 alike, and tells the file's size; a value that no longer matches
// its leaf is refused, never served.
func TestHeldVersionServesTheFilesChunks(t *testing.T) {
	const rows, cols, perChunk, chunkRows = 50, 3, 8, 7
	m := &workload.Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	tok := &workload.TokenMatrix{Rows: rows, Cols: cols, Data: make([]int32, rows*cols)}
	for i := range m.Data {
		m.Data[i], tok.Data[i] = float32(i)/3, int32(i*7-40)
	}
	f32, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	i32, err := workload.EncodeNPYInt32(tok)
	if err != nil {
		t.Fatal(err)
	}
	for format, npy := range map[string][]byte{dataset.FormatNPYF32: f32, dataset.FormatNPYI32: i32} {
		d, err := dataset.DescribeRecord(npy, dataset.Layout{Format: format, Rows: rows, Cols: cols, RowsPerChunk: perChunk}, dataset.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rec := datamarkettypes.Dataset{Id: 1, Version: 1, Rows: rows, Cols: cols, RowsPerChunk: perChunk, Format: format,
			Sha256: d.Sha256, ContentRoot: d.Root()}
		full, err := CheckDataset(rec, npy, workload.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		held := full.held()
		if held.Data != nil || held.Chunks != nil || held.size() != int64(len(npy)) {
			t.Fatalf("%s: held keeps %d file bytes and %d chunk views, size %d (file %d)", format, len(held.Data), len(held.Chunks), held.size(), len(npy))
		}
		for i := uint64(0); i*chunkRows < rows; i++ {
			var a, b ChunkResponse
			a.Index, b.Index = i, i
			if err := a.attachInputs(full, chunkRows); err != nil {
				t.Fatal(err)
			}
			if err := b.attachInputs(held, chunkRows); err != nil {
				t.Fatalf("%s: output chunk %d from the values: %v", format, i, err)
			}
			if !reflect.DeepEqual(a.Inputs, b.Inputs) || a.InputChunkCount != b.InputChunkCount {
				t.Fatalf("%s: output chunk %d: the inputs served from the values differ from the file's", format, i)
			}
		}
	}

	full, err := CheckDataset(datamarkettypes.Dataset{Id: 1, Version: 1, Rows: rows, Cols: cols, RowsPerChunk: perChunk,
		Sha256: workload.SHA256Hex(f32), ContentRoot: mustRoot(t, f32, perChunk)}, f32, workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	held := full.held()
	held.Matrix.Data[rows*cols-1]++
	var r ChunkResponse
	r.Index = rows / chunkRows
	if err := r.attachInputs(held, chunkRows); err == nil {
		t.Fatal("a value changed since the check was served")
	}
}

func mustRoot(t *testing.T, npy []byte, perChunk uint64) []byte {
	t.Helper()
	d, err := dataset.Describe(npy, perChunk)
	if err != nil {
		t.Fatal(err)
	}
	return d.Root()
}

// The dataset versions in memory are bounded by bytes
// (DatasetMemoryBytes, each version its values and chunk index), not by
// count alone: a budget of one version keeps one, the one used last, and
// a version over the budget is returned and not kept.
func TestDatasetCacheBoundedByBytes(t *testing.T) {
	rec := func(v, rows uint64) datamarkettypes.Dataset {
		return datamarkettypes.Dataset{Id: 1, Version: v, Rows: rows, Cols: 256, RowsPerChunk: 64}
	}
	one := datasetMemBytes(1024, 256, 64) // 1 MiB of values and 16 chunks
	if want := int64(1024*256*4 + 16*chunkIndexBytes); one != want {
		t.Fatalf("a version of 1024×256 in chunks of 64 rows takes %d bytes, want %d", one, want)
	}
	c := loadcache.Cache[datasetKey, *DatasetFile]{MaxEntries: datasetsInMemory, Budget: one + one/2}
	load := func(r datamarkettypes.Dataset) *DatasetFile {
		f, err := c.Load(context.Background(), datasetKey{r.Id, r.Version}, func() (*DatasetFile, int64, error) {
			return &DatasetFile{Record: r}, datasetMemBytes(r.Rows, r.Cols, r.RowsPerChunk), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for v := uint64(1); v <= datasetsInMemory; v++ {
		load(rec(v, 1024))
	}
	if n, bytes := c.Usage(); n != 1 || bytes != one {
		t.Fatalf("after %d versions of %d bytes within %d: %d kept (%d bytes), want the last one", datasetsInMemory, one, c.Budget, n, bytes)
	}
	if _, ok := c.Get(datasetKey{1, datasetsInMemory}); !ok {
		t.Fatal("the version used last left memory")
	}
	if f := load(rec(9, 4096)); f == nil {
		t.Fatal("a version over the budget was not returned")
	}
	if _, ok := c.Get(datasetKey{1, 9}); ok {
		t.Fatal("a version over the budget was kept")
	}
}
