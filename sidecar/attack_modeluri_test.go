package sidecar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackTricklingModelURIHoldsEveryWorker: hostile party: a model's
// owner (requester of jobs on it, and their provider) whose uri sends the
// weights at just over the fetch policy's rates. A model's load, shared by
// every check of the model, ran in the worker of the check that started it,
// under the check's context and not its slice: taking the worker back (a
// more urgent job queued, slice.go) did not cut it, and the checks of the
// model's other jobs waited on it in their own workers. Two jobs on the
// model held both workers of every validator's sidecar for the policy's
// Timeout (2 minutes), once per minute of failure memory, and an honest job
// whose window ends first waited for them. Loads now run outside the
// worker pool (modelload.go), and a check waits on its model's load only
// during its own slice. Scaled: Timeout 6 s; the honest job must be VALID
// within 3 s.
func TestAttackTricklingModelURIHoldsEveryWorker(t *testing.T) {
	e := newModelURIEnv(t, 6*time.Second)
	var hostile []computetypes.PendingVerification
	for id := uint64(1); id <= 2; id++ {
		hostile = append(hostile, computetypes.PendingVerification{JobId: id, Workload: hostileSpec, ModelId: 2,
			Indices: []uint64{0}, OutputRoot: e.env.root[:], ChunkCount: uint64(e.env.n), ProviderEndpoint: e.gone.URL,
			VerificationEnd: 1_000, UnavailableSpanBlocks: 3})
	}
	e.holdEveryWorker(t, hostile)
	if !e.honestValidWithin(t, hostile, 3*time.Second) {
		t.Fatalf("the honest job got no VALID within 3 s: both workers were held by the shared load of a model whose uri "+
			"trickles (asked %d times), which taking a worker back does not cut", e.asked.Load())
	}
}

// TestAttackAbortedJobsInputCheckHoldsAWorker: hostile party: the same
// model owner, now winner of jobs on its model that it aborts (MsgAbortJob).
// An aborted job's input check was not sliced: each of its FetchRetries
// attempts fetched the uri afresh (jobexec.WithFreshFetch, on purpose:
// TestAttackModelBlipVotesInputsGone) in the check's worker, and the
// scheduler never took that worker back. Two aborted jobs held both
// workers for 3 × Timeout (6 minutes at the defaults). An input check's
// model now loads outside the worker pool as a chunk check's does, and the
// check yields its worker when its slice ends. Scaled: Timeout 2 s (6 s
// for the three attempts); the honest job must be VALID within 3 s.
func TestAttackAbortedJobsInputCheckHoldsAWorker(t *testing.T) {
	e := newModelURIEnv(t, 2*time.Second)
	var aborted []computetypes.PendingVerification
	for id := uint64(1); id <= 2; id++ {
		aborted = append(aborted, computetypes.PendingVerification{JobId: id, Workload: hostileSpec, InputsCheck: true,
			ModelId: 2, VerificationEnd: 1_000, UnavailableSpanBlocks: 3})
	}
	e.holdEveryWorker(t, aborted)
	if !e.honestValidWithin(t, aborted, 3*time.Second) {
		t.Fatalf("the honest job got no VALID within 3 s: both workers were held by aborted jobs' input checks fetching "+
			"a trickling uri afresh at every attempt (asked %d times)", e.asked.Load())
	}
}

// TestAttackJobURIsOfOneModelTakeEveryLoadSlot: the loads' bound is no
// cheaper to fill than the workers were. Jobs keep the uri their model had
// when they were created (Job.model_uri), and a model's load is one per uri
// a job keeps; the owner of the trickling model repoints it between two of
// its jobs, and their two loads shared the resolver's one fetch of the
// model's uri while they held both load slots: the honest job's model
// waited for the trickle's Timeout. Loads of one model under several uris
// now run one after another. Scaled: Timeout 4 s; the honest job must be
// VALID within 2 s.
func TestAttackJobURIsOfOneModelTakeEveryLoadSlot(t *testing.T) {
	e := newModelURIEnv(t, 4*time.Second)
	var hostile []computetypes.PendingVerification
	for id, uri := range []string{"", e.gone.URL + "/repointed.safetensors"} {
		hostile = append(hostile, computetypes.PendingVerification{JobId: uint64(id + 1), Workload: hostileSpec, ModelId: 2,
			ModelUri: uri, Indices: []uint64{0}, OutputRoot: e.env.root[:], ChunkCount: uint64(e.env.n),
			ProviderEndpoint: e.gone.URL, VerificationEnd: 1_000, UnavailableSpanBlocks: 3})
	}
	e.holdEveryWorker(t, hostile)
	time.Sleep(50 * time.Millisecond) // both checks wait on their model's loads
	if !e.honestValidWithin(t, hostile, 2*time.Second) {
		t.Fatalf("the honest job got no VALID within 2 s: the two loads of one trickling model, under the two uris "+
			"its jobs keep, held both load slots for one transfer (asked %d times)", e.asked.Load())
	}
}

// hostileSpec is an mlp job on model 2, whose uri trickles.
var hostileSpec = computetypes.WorkloadSpec{
	Kind: workload.KindMLP, Mlp: &computetypes.MlpSpec{ModelId: 2, DatasetId: 3}, ChunkRows: 8,
}

// modelURIEnv is a running sidecar with five mlp models: model 1, whose
// uri serves its weights at once, and models 2, 4, 5 and 6 (5 and 6 model
// 2's file again), whose uris trickle (asked counts their requests).
type modelURIEnv struct {
	env    mirrorEnv
	gone   *httptest.Server // a provider that serves nothing
	asked  atomic.Int32
	src    *chainSource
	v      *Verifier
	honest computetypes.PendingVerification // an mlp job on model 1, window ending before the hostile jobs'
}

func newModelURIEnv(t *testing.T, timeout time.Duration) *modelURIEnv {
	e := &modelURIEnv{env: newMirrorEnv(t), src: &chainSource{}}
	e.gone = httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(e.gone.Close)
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(e.env.file) }))
	t.Cleanup(good.Close)
	trickle := tricklingURI(t, &e.asked)

	cfg := testConfig()
	cfg.Workers, cfg.PollInterval, cfg.FetchRetries, cfg.MaxWeightsBytes = 2, 10*time.Millisecond, 3, 256<<20
	cfg.Fetch = jobexec.FetchPolicy{AllowLocal: true, Timeout: timeout}
	reg := modelreg.Of(
		modelregistrytypes.Model{Id: 1, Uri: good.URL + "/m.safetensors", Sha256: e.env.sha, InputDim: 3, OutputDim: 2},
		modelregistrytypes.Model{Id: 2, Uri: trickle.URL + "/m.safetensors", Sha256: workload.SHA256Hex([]byte("other")),
			InputDim: 3, OutputDim: 2},
		modelregistrytypes.Model{Id: 4, Uri: trickle.URL + "/m4.safetensors", Sha256: workload.SHA256Hex([]byte("another")),
			InputDim: 3, OutputDim: 2},
		// Models 5 and 6 are model 2's file again (re-releases): 5 under
		// another uri, 6 under the same uri and its sha256 upper-cased.
		modelregistrytypes.Model{Id: 5, Uri: trickle.URL + "/m5.safetensors",
			Sha256: workload.SHA256Hex([]byte("other")), InputDim: 3, OutputDim: 2},
		modelregistrytypes.Model{Id: 6, Uri: trickle.URL + "/m.safetensors",
			Sha256: strings.ToUpper(workload.SHA256Hex([]byte("other"))), InputDim: 3, OutputDim: 2})
	cfg.Models = reg
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: reg, Datasets: datasetRecords{rec: e.env.ds.Record}, Fetch: cfg.Fetch,
	})
	e.v = New(cfg, e.src, cpu.New(), quiet(), NewMetrics("cpu"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.v.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5 s of its context's end: a model load outlived it")
			<-done
		}
	})

	spec := hostileSpec
	spec.Mlp = &computetypes.MlpSpec{ModelId: 1, DatasetId: 3}
	e.honest = computetypes.PendingVerification{JobId: 3, Workload: spec, ModelId: 1, Indices: []uint64{0, 3},
		OutputRoot: e.env.root[:], ChunkCount: uint64(e.env.n), ProviderEndpoint: e.env.chunks.URL,
		VerificationEnd: 500, UnavailableSpanBlocks: 3}
	return e
}

// holdEveryWorker lists the hostile jobs and waits until a worker runs each
// of them and the trickling uri has been asked.
func (e *modelURIEnv) holdEveryWorker(t *testing.T, hostile []computetypes.PendingVerification) {
	t.Helper()
	e.src.set(10, hostile...)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the workers did not start on the hostile jobs")
		}
		if e.asked.Load() > 0 && e.running(hostile) {
			return
		}
	}
}

// running reports whether every job of jobs is under check.
func (e *modelURIEnv) running(jobs []computetypes.PendingVerification) bool {
	e.v.mu.Lock()
	defer e.v.mu.Unlock()
	for _, pv := range jobs {
		if js := e.v.jobs[pv.JobId]; js == nil || !js.running {
			return false
		}
	}
	return true
}

// honestValidWithin lists the honest job beside the hostile ones, a height
// every 30 ms, and reports whether it is VALID within d.
func (e *modelURIEnv) honestValidWithin(t *testing.T, hostile []computetypes.PendingVerification, d time.Duration) bool {
	t.Helper()
	start := time.Now()
	for h := int64(11); time.Since(start) < d && h < e.honest.VerificationEnd; h++ {
		e.src.set(h, append(append([]computetypes.PendingVerification{}, hostile...), e.honest)...)
		time.Sleep(30 * time.Millisecond)
		for _, jv := range e.v.Ready(h) {
			if jv.JobId == e.honest.JobId && jv.Verdict == computetypes.Verdict_VERDICT_VALID {
				t.Logf("the honest job VALID after %s", time.Since(start).Round(time.Millisecond))
				return true
			}
		}
	}
	return false
}

// tricklingURI is a model's uri that sends junk at about 256 KiB/s: over
// the fetch policy's MinRate, under its AvgRate, so a fetch of it is cut
// at the policy's Timeout. asked counts its requests.
func tricklingURI(t *testing.T, asked *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		trickleJunk(w, r, 16<<10)
	}))
	t.Cleanup(srv.Close)
	return srv
}
