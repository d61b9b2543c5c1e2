package provider

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackValidatorReadsWeightsOfNoJobUnderVerification: hostile bonded
// validator. The agent's weights route served any model in its cache to
// any bonded validator at any time: the models of jobs long over, or of
// jobs it only sized, read on the agent's uplink whenever a validator
// liked, and a place in the slots' ranks bought on them before a takedown
// (TestAttackValidatorsBankAPositionToHoldEverySlot). A validator needs a
// job's weights only while the job may be verified. Now the route serves
// the models of the jobs whose result the agent sent and that are not
// over: any other is 404 before a slot or the disk is touched, and a job's
// model stops being served when the agent sees the job over on chain
// (retire). Served from the job's execution, the weights were open to
// hostile validators for the blocks before the result was on chain, to
// take a start the honest validators could not
// (TestAttackValidatorsBankingJustBeforeTheTakedownHoldEverySlotPastTheSpan
// in docs/open-attacks.md).
func TestAttackValidatorReadsWeightsOfNoJobUnderVerification(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, name := range []string{"the job's model", "a model it only sized"} {
		file := bytes.Repeat([]byte(name), 1000)
		sha := workload.SHA256Hex(file)
		files[sha] = file
		if err := os.WriteFile(filepath.Join(dir, sha), file, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jobModel := workload.SHA256Hex(bytes.Repeat([]byte("the job's model"), 1000))
	sized := workload.SHA256Hex(bytes.Repeat([]byte("a model it only sized"), 1000))
	var reads []string
	cfg := Config{Weights: func(s string) (*os.File, error) {
		reads = append(reads, s)
		return os.Open(filepath.Join(dir, s))
	}}
	s := newServed(t, 9, gemmChunks(), cfg, Record{ModelSha: jobModel})

	// Executed, its result not sent: no validator checks it yet.
	if status, body := s.get(t, s.validator, s.url, "/v1/models/"+jobModel); status != http.StatusNotFound || bytes.Contains(body, files[jobModel]) {
		t.Fatalf("the model of a job whose result is not sent: status %d (%d bytes), want 404 and none", status, len(body))
	}
	// Its result sent (Agent.resultSent, as submit does).
	chunks := gemmChunks()
	rec := &Record{ID: 9, Requester: s.requester.Address(), Phase: PhaseExecuted, ModelSha: jobModel, OutputRoot: s.root,
		ChunkCount: uint64(len(chunks)), ChunkBytes: uint64(len(chunks[0]))}
	s.a.recs, s.a.dirty = map[uint64]*Record{9: rec}, map[uint64]bool{}
	s.a.resultSent([]item{{id: 9}}, chainclient.Sent{Hash: "RESULT"})
	if status, body := s.get(t, s.validator, s.url, "/v1/models/"+jobModel); status != http.StatusOK || !bytes.Equal(body, files[jobModel]) {
		t.Fatalf("the model of a job under verification: status %d, %d bytes", status, len(body))
	}
	if status, body := s.get(t, s.validator, s.url, "/v1/models/"+sized); status != http.StatusNotFound || bytes.Contains(body, files[sized]) {
		t.Fatalf("a cached model of no job under verification: status %d (%d bytes), want 404 and none", status, len(body))
	}

	// The job is over on chain: retire ends its record, and its model is no
	// longer served (its chunks are, to its requester alone, for the
	// retention window: TestAttackValidatorReadsRowsAndOutputsOfAJobOver).
	rec.Phase, rec.PendingTx = PhaseSubmitted, ""
	s.a.view = map[uint64]jobView{9: {state: computetypes.JobState_JOB_STATE_SETTLED}}
	s.a.retire()
	if rec.Phase != PhaseEnded {
		t.Fatalf("set-up: retire left the settled job in phase %s", rec.Phase)
	}
	if status, body := s.get(t, s.validator, s.url, "/v1/models/"+jobModel); status != http.StatusNotFound || bytes.Contains(body, files[jobModel]) {
		t.Fatalf("the model of a job over on chain: status %d (%d bytes), want 404 and none", status, len(body))
	}
	if status, _ := s.get(t, s.requester, s.url, "/v1/jobs/9/chunks/0"); status != http.StatusOK {
		t.Fatalf("the requester's chunk of the job over on chain, within the retention window: status %d, want 200", status)
	}
	if len(reads) != 1 || reads[0] != jobModel {
		t.Fatalf("cache reads %q: only the request while the job was under verification should reach the disk", reads)
	}
	if n := s.a.weightSlots().Queued(); n != 0 {
		t.Fatalf("%d validators queued for a weights slot after the refused requests, want 0", n)
	}
}
