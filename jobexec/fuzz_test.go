package jobexec

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// fuzzOutput is a job output of 13 chunks whose root plays the on-chain
// output_root in FuzzChunkResponseVerify.
func fuzzOutput(t testing.TB) ([][]byte, *merkle.Tree) {
	chunks := make([][]byte, 13)
	for i := range chunks {
		chunks[i] = workload.EncodeFloats([]float32{float32(i), float32(i) / 2})
	}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	return chunks, tree
}

// FuzzChunkResponseVerify feeds a provider's chunk response (arbitrary JSON,
// as the sidecar decodes it) to Verify against a fixed output root: it must
// not panic, and only the genuine chunk at its genuine index may verify.
func FuzzChunkResponseVerify(f *testing.F) {
	chunks, tree := fuzzOutput(f)
	for _, i := range []int{0, 6, 12} {
		r, err := NewChunkResponse(9, tree, i, chunks[i])
		if err != nil {
			f.Fatal(err)
		}
		root := tree.Root()
		if err := r.Verify(root[:], 13, uint64(i)); err != nil {
			f.Fatalf("genuine chunk %d: %v", i, err)
		}
		bz, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz, uint64(13), uint64(i))
		f.Add(bz, uint64(16), uint64(i)) // another leaf count
	}
	f.Add([]byte(`{"index":1,"data":"AAAA","proof":["zz"]}`), uint64(13), uint64(1))
	f.Add([]byte(`{"index":0,"proof":[]}`), uint64(1), uint64(0))
	f.Add([]byte(`{"index":18446744073709551615,"proof":null}`), uint64(math.MaxUint64), uint64(math.MaxUint64))
	root := tree.Root()
	f.Fuzz(func(t *testing.T, body []byte, chunkCount, index uint64) {
		var r ChunkResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return
		}
		if err := r.Verify(root[:], chunkCount, index); err != nil {
			return
		}
		if index >= uint64(len(chunks)) || r.Index != index || !bytes.Equal(r.Data, chunks[index]) {
			t.Fatalf("forged chunk accepted: index %d of %d, data %x", index, chunkCount, r.Data)
		}
		if err := r.Verify(root[:len(root)-1], chunkCount, index); err == nil {
			t.Fatal("a 31-byte root verifies")
		}
	})
}

// fuzzDataset is a 40×3 dataset in chunks of 8 rows, as x/datamarket
// records it, for FuzzVerifyInputs.
func fuzzDataset(t testing.TB) *DatasetFile {
	m := &workload.Matrix{Rows: 40, Cols: 3, Data: make([]float32, 120)}
	for i := range m.Data {
		m.Data[i] = float32(i%11)*0.3 - 1.2
	}
	chunks, err := dataset.Chunks(m, 8)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	return &DatasetFile{
		Record:      datamarkettypes.Dataset{Id: 1, Rows: 40, Cols: 3, RowsPerChunk: 8, ContentRoot: root[:]},
		Description: &dataset.Description{Matrix: m, Chunks: chunks, Tree: tree},
	}
}

// FuzzVerifyInputs feeds a provider's input chunks (arbitrary JSON) and
// arbitrary dataset and job shapes to VerifyInputs against a fixed content
// root: it must not panic, must return as many values as it says rows ×
// cols, and with the dataset's true shape only the true rows.
func FuzzVerifyInputs(f *testing.F) {
	ds := fuzzDataset(f)
	for _, c := range []struct{ index, chunkRows uint64 }{{0, 5}, {2, 7}, {3, 10}, {0, 40}} {
		r := ChunkResponse{JobID: 3, Chunk: merkle.Chunk{Index: c.index}}
		if err := r.AttachInputs(ds, c.chunkRows); err != nil {
			f.Fatal(err)
		}
		if _, _, err := r.VerifyInputs(ds.Record.ContentRoot, 40, 3, 8, c.chunkRows); err != nil {
			f.Fatalf("genuine inputs of chunk %d: %v", c.index, err)
		}
		bz, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz, uint64(40), uint64(3), uint64(8), c.chunkRows)
		f.Add(bz, uint64(39), uint64(3), uint64(8), c.chunkRows)
		f.Add(bz, uint64(40), uint64(1), uint64(8), c.chunkRows)
	}
	f.Add([]byte(`{"index":0,"input_chunk_count":1,"inputs":[{"index":0,"data":"","proof":[]}]}`), uint64(0), uint64(0), uint64(0), uint64(0))
	root := ds.Record.ContentRoot
	f.Fuzz(func(t *testing.T, body []byte, rows, cols, rowsPerChunk, chunkRows uint64) {
		var r ChunkResponse
		if err := json.Unmarshal(body, &r); err != nil {
			return
		}
		vals, n, err := r.VerifyInputs(root, rows, cols, rowsPerChunk, chunkRows)
		if err != nil {
			return
		}
		if n < 1 || uint64(len(vals)) != uint64(n)*cols {
			t.Fatalf("%d values for %d rows of %d cols", len(vals), n, cols)
		}
		r0, r1, err := rowRange(rows, chunkRows, r.Index)
		if err != nil || uint64(n) != r1-r0 {
			t.Fatalf("%d rows for output chunk %d (rows %d..%d, %v)", n, r.Index, r0, r1, err)
		}
		if rows == 40 && cols == 3 && rowsPerChunk == 8 {
			want := ds.Matrix.Data[r0*3 : r1*3]
			for i := range want {
				if vals[i] != want[i] {
					t.Fatalf("value %d is %v, want %v", i, vals[i], want[i])
				}
			}
		}
	})
}

// FuzzFromSpec decodes a workload spec from arbitrary proto bytes, as the
// provider and the sidecar read it from a job: a gemm-f32 spec that the chain
// accepts must convert to runnable parameters with the same chunk count.
func FuzzFromSpec(f *testing.F) {
	for _, s := range []computetypes.WorkloadSpec{
		{Kind: workload.KindGemm, Gemm: &computetypes.GemmSpec{M: 10, N: 4, K: 4, Seed: 1}, ChunkRows: 4},
		{Kind: workload.KindGemm, Gemm: &computetypes.GemmSpec{M: math.MaxInt32, N: 1, K: 1}, ChunkRows: math.MaxInt32},
		{Kind: workload.KindMLP, Mlp: &computetypes.MlpSpec{ModelId: 1, DatasetId: 2}, ChunkRows: 8},
		{Kind: "x", ChunkRows: 1},
	} {
		bz, err := s.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bz)
	}
	f.Fuzz(func(t *testing.T, bz []byte) {
		var spec computetypes.WorkloadSpec
		if err := spec.Unmarshal(bz); err != nil {
			return
		}
		rows, verr := spec.Validate()
		if g := GFLOP(spec); g < 0 || math.IsNaN(g) || math.IsInf(g, 0) {
			t.Fatalf("GFLOP %v", g)
		}
		if spec.Kind != workload.KindGemm {
			if _, err := FromSpec(t.Context(), spec, nil); err == nil {
				t.Fatalf("kind %q without a resolver accepted", spec.Kind)
			}
			return
		}
		p, err := GemmParams(spec)
		if verr != nil {
			return // the chain refuses the job; GemmParams may or may not
		}
		if err != nil {
			t.Fatalf("the chain accepts %+v but GemmParams refuses it: %v", spec, err)
		}
		want, err := computetypes.ChunkCountFor(rows, spec.ChunkRows)
		if err != nil {
			t.Fatalf("chunk count of an accepted spec: %v", err)
		}
		if got, err := workload.ChunkCount(p.M, p.ChunkRows); err != nil || uint64(got) != want {
			t.Fatalf("agent chunk count %d (%v), chain %d", got, err, want)
		}
	})
}
