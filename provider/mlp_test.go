package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

type fakeMLP struct {
	model *workload.Model
	ds    *jobexec.DatasetFile
}

func (f fakeMLP) Model(context.Context, uint64) (*workload.Model, error) { return f.model, nil }

func (f fakeMLP) Dataset(context.Context, uint64, uint64) (*workload.Matrix, error) {
	return f.ds.Matrix, nil
}

func (f fakeMLP) DatasetServed(_ context.Context, id, _ uint64) error {
	if f.ds == nil || id != f.ds.Record.Id {
		return errors.New("dataset not served")
	}
	return nil
}

func (f fakeMLP) DatasetFile(_ context.Context, id, _ uint64) (*jobexec.DatasetFile, error) {
	if id != f.ds.Record.Id {
		return nil, errors.New("dataset not found")
	}
	return f.ds, nil
}

// An mlp job's chunk comes to a validator with the dataset rows it was
// computed from, each proven against the content root, and a verifier
// recomputes the chunk from them alone; the requester gets the output
// without the rows, anyone else nothing.
func TestAttackUnauthorisedFetchOfInputRows(t *testing.T) {
	m := servedMLP(t)
	sv, model, ds, chunks, root := m.sv, m.model, m.ds, m.chunks, m.ds.Record.ContentRoot
	out := sv.root
	for i := range chunks {
		status, body := sv.get(t, sv.validator, sv.url, "/v1/jobs/11/chunks/"+strconv.Itoa(i))
		var cr jobexec.ChunkResponse
		if err := json.Unmarshal(body, &cr); err != nil || status != http.StatusOK {
			t.Fatalf("chunk %d: %d %v", i, status, err)
		}
		if err := cr.Verify(out, uint64(len(chunks)), uint64(i)); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		x, rows, err := cr.VerifyInputs(root, 23, 2, 4, 6)
		if err != nil {
			t.Fatalf("chunk %d inputs: %v", i, err)
		}
		y, err := model.Forward(context.Background(), cpu.New(), x, rows)
		if err != nil {
			t.Fatal(err)
		}
		if string(workload.EncodeFloats(y)) != string(cr.Data) {
			t.Fatalf("chunk %d: recomputation from the served rows differs", i)
		}
	}

	// The requester gets its output, never the dataset's rows; a stranger
	// gets neither.
	status, body := sv.get(t, sv.requester, sv.url, "/v1/jobs/11/chunks/1")
	var cr jobexec.ChunkResponse
	if err := json.Unmarshal(body, &cr); err != nil || status != http.StatusOK || len(cr.Inputs) != 0 || !bytes.Equal(cr.Data, chunks[1]) {
		t.Fatalf("requester's chunk: %d %v, %d input chunks", status, err, len(cr.Inputs))
	}
	assertNoByteLeaves(t, "requester", body, ds.Chunks...)
	status, body = sv.get(t, sv.stranger, sv.url, "/v1/jobs/11/chunks/1")
	if status != http.StatusForbidden {
		t.Fatalf("stranger: %d", status)
	}
	assertNoByteLeaves(t, "stranger", body, append(append([][]byte{}, ds.Chunks...), chunks...)...)

	// A dataset that does not load now (its server busy or slow) is a busy
	// answer a validator's sidecar asks again after its Retry-After.
	other := *ds
	other.Record.Id = 6
	sv.a.cfg.MLP = fakeMLP{model: model, ds: &other}
	req, err := http.NewRequest(http.MethodGet, sv.url+"/v1/jobs/11/chunks/0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := signedreq.Sign(req, sv.validator, sv.url, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a chunk whose dataset does not load: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	// An agent that lost its dataset source refuses rather than serving a
	// chunk without its rows.
	sv.a.cfg.MLP = nil
	if status, _ := sv.get(t, sv.validator, sv.url, "/v1/jobs/11/chunks/0"); status == http.StatusOK {
		t.Fatal("mlp chunk served without its input rows")
	}
}
