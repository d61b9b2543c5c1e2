package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/dataset"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
)

// mlpServed is a chunk server holding an executed mlp job (id 11) over a
// licensed dataset (id 5) of 23 rows in chunks of 4, its output in chunks
// of 6 rows: the server, the model, the checked dataset (its Chunks are the
// licensed rows) and the job's output chunks.
type mlpServed struct {
	sv     *served
	model  *workload.Model
	ds     *jobexec.DatasetFile
	chunks [][]byte
}

func servedMLP(t *testing.T) mlpServed {
	t.Helper()
	model := &workload.Model{Layers: []workload.Layer{
		{In: 2, Out: 3, Weight: []float32{1, -1, 0.5, 2, -0.25, 0.75}, Bias: []float32{0.1, 0, -0.1}},
		{In: 3, Out: 1, Weight: []float32{1, -2, 0.5}},
	}}
	m := &workload.Matrix{Rows: 23, Cols: 2, Data: make([]float32, 46)}
	for i := range m.Data {
		m.Data[i] = float32(i%9)*0.5 - 2
	}
	npy, err := workload.EncodeNPY(m)
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := dataset.Root(m, 4)
	if err != nil {
		t.Fatal(err)
	}
	rec := datamarkettypes.Dataset{Id: 5, Rows: 23, Cols: 2, RowsPerChunk: 4, ContentRoot: root[:], Sha256: workload.SHA256Hex(npy), Version: 1}
	ds, err := jobexec.CheckDataset(rec, npy, workload.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	job, err := workload.NewMLPJob(model, m, 6)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := workload.ComputeChunks(context.Background(), job, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	sv := newServed(t, 11, chunks, Config{MLP: fakeMLP{model: model, ds: ds}},
		Record{Kind: workload.KindMLP, DatasetID: 5, ChunkRows: 6})
	return mlpServed{sv: sv, model: model, ds: ds, chunks: chunks}
}

// TestAttackValidatorReadsRowsAndOutputsOfAJobOver: hostile bonded
// validator without a licence to the dataset. The chunk route served any
// bonded validator every chunk of every job the agent held, with the
// dataset rows under it, for as long as it kept the job's chunks: the
// --retention window (24 h) after the job was over on chain, when no
// validator verifies it any more (sidecars read only PendingVerifications).
// Walking the chunks of the jobs over gave the validator the requester's
// whole private result and, for mlp, every licensed row of the dataset —
// for free, at any time, without the licence the requester paid for.
// Section 10: outputs to the requester and validators, input rows to
// validators, which a validator needs only while the job may be verified
// (as its model's weights: TestAttackValidatorReadsWeightsOfNoJobUnderVerification).
// Now a job over (and one loaded over at a restart) is the requester's
// alone: a validator is refused before its nonce or the disk, and a
// requester who is also a validator gets its output without the rows.
func TestAttackValidatorReadsRowsAndOutputsOfAJobOver(t *testing.T) {
	m := servedMLP(t)
	sv, rows, out := m.sv, m.ds.Chunks, m.chunks
	chunk := func(i int) string { return "/v1/jobs/11/chunks/" + strconv.Itoa(i) }

	// Under verification: the validator reads a sampled chunk and its rows.
	status, body := sv.get(t, sv.validator, sv.url, chunk(0))
	var cr jobexec.ChunkResponse
	if err := json.Unmarshal(body, &cr); err != nil || status != http.StatusOK || len(cr.Inputs) == 0 {
		t.Fatalf("validator during verification: %d %v, %d input chunks", status, err, len(cr.Inputs))
	}

	// The job is over on chain (retire; aborted): its chunks stay for the
	// requester's download.
	sv.a.auth.endJob(11)
	assertOnlyRequesterReads(t, sv, rows, out)

	// A restart loads the ended record: the same.
	sv.a.auth.dropJob(11)
	sv.a.auth.loadJobs(map[uint64]*Record{11: {ID: 11, Requester: sv.requester.Address(), Phase: PhaseEnded,
		Kind: workload.KindMLP, DatasetID: 5, ChunkRows: 6, OutputRoot: sv.root,
		ChunkCount: uint64(len(out)), ChunkBytes: uint64(len(out[0]))}})
	assertOnlyRequesterReads(t, sv, rows, out)

	// A requester who is also a bonded validator: its output, no rows.
	sv.a.auth.setValidators(map[string]bool{sv.validator.Address(): true, sv.requester.Address(): true})
	status, body = sv.get(t, sv.requester, sv.url, chunk(1))
	cr = jobexec.ChunkResponse{}
	if err := json.Unmarshal(body, &cr); err != nil || status != http.StatusOK || !bytes.Equal(cr.Data, out[1]) {
		t.Fatalf("requester-validator of a job over: %d %v", status, err)
	}
	assertNoByteLeaves(t, "requester-validator of a job over", body, rows...)
}

// assertOnlyRequesterReads checks that the validator gets none of a job
// over, its refusal spends no nonce, and the requester reads every chunk.
func assertOnlyRequesterReads(t *testing.T, sv *served, rows, out [][]byte) {
	t.Helper()
	nonces := sv.a.auth.nonces.Len()
	for i := range out {
		status, body := sv.get(t, sv.validator, sv.url, "/v1/jobs/11/chunks/"+strconv.Itoa(i))
		if status != http.StatusForbidden {
			t.Errorf("validator, chunk %d of a job over: status %d, want 403", i, status)
		}
		assertNoByteLeaves(t, "validator of a job over", body, append(append([][]byte{}, rows...), out...)...)
	}
	if n := sv.a.auth.nonces.Len(); n != nonces {
		t.Errorf("refused requests recorded %d nonces", n-nonces)
	}
	for i := range out {
		status, body := sv.get(t, sv.requester, sv.url, "/v1/jobs/11/chunks/"+strconv.Itoa(i))
		var cr jobexec.ChunkResponse
		if err := json.Unmarshal(body, &cr); err != nil || status != http.StatusOK || !bytes.Equal(cr.Data, out[i]) || len(cr.Inputs) != 0 {
			t.Fatalf("requester, chunk %d of a job over: %d %v", i, status, err)
		}
	}
}
