package dataserver

import (
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
)

// The JSON of a chunk before ChunkResponse embedded merkle.Chunk: the same
// fields with the same values must be served (encoding/json writes the
// embedded index, data and proof together, so only their position moved).
const wireChunk = `{"dataset_id":1,"version":2,"index":1,"chunk_count":3,"rows_per_chunk":2,"cols":1,"row_start":2,"row_end":4,"content_root":"e49af61676a27b64ff37fb152789b93fdf23466fea8c1eaf4cfb5f21014aa413","data":"AABAQAAAgEA=","proof":["3363c2d419cb073956c4531fe03708f8a19c08e3cd9f04c46b9925c8d9ce055e","b1086660745e1a9a3af29677fb1be4417f03fed8618f8e2e5f83286445bb8722"]}`

func TestChunkResponseWire(t *testing.T) {
	npy, err := workload.EncodeNPY(&workload.Matrix{Rows: 5, Cols: 1, Data: []float32{1, 2, 3, 4, 5}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Describe(npy, 2)
	if err != nil {
		t.Fatal(err)
	}
	chunk, err := merkle.NewChunk(f.Tree, 1, f.Chunks[1])
	if err != nil {
		t.Fatal(err)
	}
	resp := ChunkResponse{
		DatasetID: 1, Version: 2, Chunk: chunk, ChunkCount: 3, RowsPerChunk: 2, Cols: 1, RowStart: 2, RowEnd: 4,
		ContentRoot: hex.EncodeToString(f.Root()),
	}
	got, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var now, was map[string]any
	if err := json.Unmarshal(got, &now); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(wireChunk), &was); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(now, was) {
		t.Fatalf("serves\n%s\nwas\n%s", got, wireChunk)
	}
	var back ChunkResponse
	if err := json.Unmarshal([]byte(wireChunk), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, resp) {
		t.Fatalf("the old JSON decodes to %+v, want %+v", back, resp)
	}
	if err := VerifyChunk(&back, f.Root()); err != nil {
		t.Fatal(err)
	}
}
