package sidecar

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestPreemptedModelLoadGoesOnWhereItStopped: the honest side of loading
// models outside the worker pool. A large model whose uri sends it slowly
// is not loaded within one slice; the check yields, its load goes on in
// the background, and the next slice finds the model loaded: the uri is
// asked once and sends the file once, not again from zero at every slice,
// and the job's provider is never asked for the weights.
func TestPreemptedModelLoadGoesOnWhereItStopped(t *testing.T) {
	l := newSlowModelURI(t)
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, ModelId: 2, Indices: []uint64{0, 3},
		OutputRoot: l.root[:], ChunkCount: uint64(l.n), ProviderEndpoint: l.srv.URL, VerificationEnd: 1_000,
		UnavailableSpanBlocks: 3}
	var p chunkProgress
	if o := l.v.checkOnce(context.Background(), l.cutAt(600<<10), pv, &p); !o.yielded {
		t.Fatalf("the worker taken back during the model's load: %v (%s), want the check to yield", o.verdict, o.reason)
	}
	cutAt := l.uri.sent.Load()
	o := l.v.checkOnce(context.Background(), context.Background(), pv, &p)
	if o.verdict != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("the next slice: %v (%s), want VALID", o.verdict, o.reason)
	}
	l.loadedOnce(t, cutAt)
}

// TestPreemptedInputCheckGoesOnFromItsAttempt: an aborted job's input check
// is sliced as well. Cut while its first attempt waits on the model's load,
// it yields at that attempt, and its next slice takes the load that went on
// meanwhile (it began after the attempt did): INPUTS_AVAILABLE, the uri
// asked once.
func TestPreemptedInputCheckGoesOnFromItsAttempt(t *testing.T) {
	l := newSlowModelURI(t)
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, InputsCheck: true, ModelId: 2, VerificationEnd: 1_000}
	var p chunkProgress
	o := l.v.checkOnce(context.Background(), l.cutAt(600<<10), pv, &p)
	if !o.yielded || p.inputs.attempt != 0 || p.inputs.since.IsZero() {
		t.Fatalf("the worker taken back during the model's load: %v (%s), attempt %d: want the first attempt to yield",
			o.verdict, o.reason, p.inputs.attempt)
	}
	cutAt := l.uri.sent.Load()
	if o = l.v.checkOnce(context.Background(), context.Background(), pv, &p); o.verdict != computetypes.Verdict_VERDICT_INPUTS_AVAILABLE {
		t.Fatalf("the next slice: %v (%s), want INPUTS_AVAILABLE", o.verdict, o.reason)
	}
	l.loadedOnce(t, cutAt)
}

// slowModelURI is a running verifier whose model 2 (a 1.5 MiB file) its
// uri sends at about 3 MiB/s, the server also its jobs' provider.
type slowModelURI struct {
	uri  *pacedWeights
	srv  *httptest.Server
	file []byte
	root merkle.Hash
	n    int
	v    *Verifier
}

func newSlowModelURI(t *testing.T) *slowModelURI {
	_, ds := mlpFixture(t)
	model, file, sha := largeMLPModel(t)
	chunks, root, n := mlpProvider(t, model, ds, -1, nil)
	l := &slowModelURI{uri: &pacedWeights{file: file, chunks: chunks.URL}, file: file, root: root, n: n}
	l.srv = httptest.NewServer(l.uri)
	t.Cleanup(l.srv.Close)
	cfg := testConfig()
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: l.srv.URL + "/v1/models/" + sha, Sha256: sha,
			InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: ds.Record}, Fetch: cfg.Fetch,
	})
	l.v = New(cfg, staticSource{}, cpu.New(), quiet(), NewMetrics("cpu"))
	runVerifier(t, l.v)
	return l
}

// cutAt is a slice that the scheduler ends once the uri has sent n bytes.
func (l *slowModelURI) cutAt(n int64) context.Context {
	slice, yield := context.WithCancel(context.Background())
	go func() {
		for l.uri.sent.Load() < n {
			time.Sleep(2 * time.Millisecond)
		}
		yield()
	}()
	return slice
}

// loadedOnce checks that the uri was asked once (and no provider for the
// weights) and sent the file once, cutAt bytes of it before the slice ended.
func (l *slowModelURI) loadedOnce(t *testing.T, cutAt int64) {
	t.Helper()
	if asked, sent := l.uri.asked(), l.uri.sent.Load(); len(asked) != 1 || asked[0] != "" || sent != int64(len(l.file)) || cutAt >= sent {
		t.Fatalf("asked %q for the weights, %d bytes sent of a %d-byte file (%d when the slice ended): "+
			"want one transfer going on across the slices", asked, sent, len(l.file), cutAt)
	}
}

// runVerifier runs v until the test ends, and checks that Run returns soon
// after its context ends.
func runVerifier(t *testing.T, v *Verifier) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { v.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5 s of its context's end: a model load outlived it")
			<-done
		}
	})
}

// gatedSource is a VerifySource whose Model(id) returns its model once
// open(id) (or its context ends), recording the order the loads began in.
type gatedSource struct {
	model *workload.Model
	mu    sync.Mutex
	gates map[uint64]chan struct{}
	began []uint64
}

func (s *gatedSource) gate(id uint64) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gates[id] == nil {
		s.gates[id] = make(chan struct{})
	}
	return s.gates[id]
}

func (s *gatedSource) open(id uint64) { close(s.gate(id)) }

func (s *gatedSource) order() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.began...)
}

func (s *gatedSource) Model(ctx context.Context, id uint64) (*workload.Model, error) {
	g := s.gate(id)
	s.mu.Lock()
	s.began = append(s.began, id)
	s.mu.Unlock()
	select {
	case <-g:
		return s.model, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *gatedSource) DatasetRecord(context.Context, uint64, uint64) (datamarkettypes.Dataset, error) {
	return datamarkettypes.Dataset{}, errors.New("no datasets")
}

// TestModelLoadsPastTheBoundWaitForASlot: with room for one load (a
// ModelLoadBytes of one MaxWeightsBytes), a second model's load waits,
// queued, while its check yields at the end of its slice; a freed slot goes
// to the load asked for by the most urgent job (a new job before one that
// has waited many slices), whatever the order they were asked in.
func TestModelLoadsPastTheBoundWaitForASlot(t *testing.T) {
	model, _ := mlpFixture(t)
	src := &gatedSource{model: model, gates: map[uint64]chan struct{}{}}
	cfg := testConfig()
	cfg.Workers, cfg.MaxWeightsBytes, cfg.ModelLoadBytes, cfg.MLP = 2, 1<<30, 1<<30, src
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu")) // not running: the jobs below stay tracked
	job := func(id, model uint64, level int64) computetypes.PendingVerification {
		pv := computetypes.PendingVerification{JobId: id, Workload: mlpSpec, ModelId: model, VerificationEnd: 1_000}
		v.mu.Lock()
		v.jobs[id] = &jobState{pv: pv, level: level}
		v.mu.Unlock()
		return pv
	}
	first, waited, fresh := job(1, 10, 0), job(2, 11, 5), job(3, 12, 0)
	await := func(pv computetypes.PendingVerification, slice context.Context) chan error {
		res := make(chan error, 1)
		go func() {
			ended, err := v.awaitModel(context.Background(), slice, pv, time.Time{})
			if !ended {
				err = errors.New("the slice ended first")
			}
			res <- err
		}()
		return res
	}
	firstDone := await(first, context.Background())
	for len(src.order()) == 0 {
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := <-await(waited, short); err == nil {
		t.Fatal("model 11's load past the bound: the check did not yield at the end of its slice")
	}
	waitedDone, freshDone := await(waited, context.Background()), await(fresh, context.Background())
	time.Sleep(20 * time.Millisecond)
	if got := src.order(); len(got) != 1 {
		t.Fatalf("loads began %v with room for one", got)
	}
	src.open(10)
	src.open(12)
	src.open(11)
	for _, c := range []chan error{firstDone, waitedDone, freshDone} {
		if err := <-c; err != nil {
			t.Fatalf("a load: %v", err)
		}
	}
	if got := src.order(); len(got) != 3 || got[1] != 12 || got[2] != 11 {
		t.Fatalf("loads began in the order %v: want the fresh job's model (12) before the one of a job that waited (11)", got)
	}
}
