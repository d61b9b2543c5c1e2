package jobexec

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	"github.com/aichain/aichain/workload/merkle"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// The JSON a provider served before its chunk embedded merkle.Chunk, for the
// responses TestChunkResponseWire builds: the same fields with the same
// values must be served (encoding/json writes the embedded index, data and
// proof together, so only their position in the object moved).
const (
	wireChunkWithInputs = `{"job_id":4,"index":1,"chunk_count":3,"output_root":"ffbf236cb6017a0fd01263434781c5bc234c3f83b32b4f89758501a1d7c2b184","data":"YzE=","proof":["43f48b974d9c95982869d6ed2e77f9550255dd61ee8c3fcc9a49b7c3e1a1ea3d","db1e3e8e5628a3f801de003cd17a35173b255aef955d68623b6dc3845a309320"],"inputs":[{"index":1,"data":"AABAQAAAgEA=","proof":["3363c2d419cb073956c4531fe03708f8a19c08e3cd9f04c46b9925c8d9ce055e","b1086660745e1a9a3af29677fb1be4417f03fed8618f8e2e5f83286445bb8722"]}],"input_chunk_count":3}`
	wireChunkOneLeaf    = `{"job_id":5,"index":0,"chunk_count":1,"output_root":"43f48b974d9c95982869d6ed2e77f9550255dd61ee8c3fcc9a49b7c3e1a1ea3d","data":"YzA=","proof":null}`
)

func TestChunkResponseWire(t *testing.T) {
	m := &workload.Matrix{Rows: 5, Cols: 1, Data: []float32{1, 2, 3, 4, 5}}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := dataset.Root(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := CheckDataset(datamarkettypes.Dataset{
		Id: 1, Rows: 5, Cols: 1, RowsPerChunk: 2, ContentRoot: root[:], Sha256: workload.SHA256Hex(npy),
	}, npy, workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	chunks := [][]byte{[]byte("c0"), []byte("c1"), []byte("c2")}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	withInputs, err := NewChunkResponse(4, tree, 1, chunks[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := withInputs.AttachInputs(ds, 2); err != nil {
		t.Fatal(err)
	}
	one, err := merkle.New(chunks[:1])
	if err != nil {
		t.Fatal(err)
	}
	oneLeaf, err := NewChunkResponse(5, one, 0, chunks[0])
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		resp ChunkResponse
		wire string
	}{"with inputs": {withInputs, wireChunkWithInputs}, "one leaf": {oneLeaf, wireChunkOneLeaf}} {
		got, err := json.Marshal(c.resp)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(jsonObject(t, got), jsonObject(t, []byte(c.wire))) {
			t.Errorf("%s: serves\n%s\nwas\n%s", name, got, c.wire)

		}
		var back ChunkResponse
		if err := json.Unmarshal([]byte(c.wire), &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c.resp) {
			t.Errorf("%s: the old JSON decodes to %+v, want %+v", name, back, c.resp)
		}
	}
	var back ChunkResponse
	if err := json.Unmarshal([]byte(wireChunkWithInputs), &back); err != nil {
		t.Fatal(err)
	}
	treeRoot := tree.Root()
	if err := back.Verify(treeRoot[:], 3, 1); err != nil {
		t.Fatal(err)
	}
	if _, n, err := back.VerifyInputs(root[:], 5, 1, 2, 2); err != nil || n != 2 {
		t.Fatalf("inputs of the old JSON: %d rows, %v", n, err)
	}
}

// jsonObject decodes a JSON object, numbers kept as written.
func jsonObject(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
