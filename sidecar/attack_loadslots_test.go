package sidecar

import (
	"context"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackTricklingModelsHoldEveryModelLoadSlot: hostile party: the owner
// of two models (two registrations, a job on each) whose uris send junk at
// just over the fetch policy's rates. A model's load, once outside the
// worker pool, fetched its uri in one request and held its load slot to
// the end: the two loads held both slots (Workers, two) for the policy's
// Timeout (2 minutes; Timeout + size / AvgRate, 6.3 minutes, for 1 GiB of
// junk at the average rate), and an honest job whose model was not loaded
// yet waited for one of them, possibly past its verification window. Loads
// are now sliced as the workers are: a load gives its slot back after a
// slice when another waits, keeps what it received, and resumes with a
// Range request when it runs again. Scaled: Timeout 6 s; the honest job
// must be VALID within 3 s.
func TestAttackTricklingModelsHoldEveryModelLoadSlot(t *testing.T) {
	e := newModelURIEnv(t, 6*time.Second)
	var hostile []computetypes.PendingVerification
	for id, model := range []uint64{2, 4} {
		spec := hostileSpec
		spec.Mlp = &computetypes.MlpSpec{ModelId: model, DatasetId: 3}
		hostile = append(hostile, computetypes.PendingVerification{JobId: uint64(id + 1), Workload: spec, ModelId: model,
			Indices: []uint64{0}, OutputRoot: e.env.root[:], ChunkCount: uint64(e.env.n), ProviderEndpoint: e.gone.URL,
			VerificationEnd: 1_000, UnavailableSpanBlocks: 3})
	}
	e.holdEveryWorker(t, hostile)
	for deadline := time.Now().Add(2 * time.Second); e.asked.Load() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the two hostile models' loads did not both start (uris asked %d times)", e.asked.Load())
		}
	}
	if !e.honestValidWithin(t, hostile, 3*time.Second) {
		t.Fatalf("the honest job got no VALID within 3 s: both model-load slots were held by the loads of two models "+
			"whose uris trickle (asked %d times), which a load does not give back before its end", e.asked.Load())
	}
}

// TestAttackModelIDsOfOneFileTakeEveryLoadSlot: hostile party: a model's
// owner, who may publish the same weights file again as a new version of
// its name (x/modelregistry: a re-release), so that one file is several
// model ids, and whose uri trickles. Loads were one per model id: jobs on
// ids of one file ran a load each, two of them at once in the two load
// slots (Workers), and each kept its own partial copy when paused, so that
// ids multiplied the slots and the bytes one file took. A load is now one
// per file and the uris it asks, by the file's sha256 (lower-cased: model
// 6 registers model 2's file upper-cased): the jobs on models 2 and 6 (one
// uri) share one load, the load of model 5 (the file under another uri)
// waits while it runs, and one partial copy of the file is kept. Measured
// over 2.5 s (two slices and more), with model 4's load (another
// trickling file) waiting beside them, while the honest job of another
// model must be VALID within 3 s.
func TestAttackModelIDsOfOneFileTakeEveryLoadSlot(t *testing.T) {
	e := newModelURIEnv(t, 6*time.Second)
	job := func(id, model uint64) computetypes.PendingVerification {
		spec := hostileSpec
		spec.Mlp = &computetypes.MlpSpec{ModelId: model, DatasetId: 3}
		return computetypes.PendingVerification{JobId: id, Workload: spec, ModelId: model,
			Indices: []uint64{0}, OutputRoot: e.env.root[:], ChunkCount: uint64(e.env.n), ProviderEndpoint: e.gone.URL,
			VerificationEnd: 1_000, UnavailableSpanBlocks: 3}
	}
	hostile := []computetypes.PendingVerification{job(1, 2), job(2, 6)}
	stop := make(chan struct{})
	sampled := make(chan oneFileLoads, 1)
	go func() {
		var most oneFileLoads
		for {
			most = most.max(sampleOneFileLoads(e.v))
			select {
			case <-stop:
				sampled <- most
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	e.holdEveryWorker(t, hostile)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, pv := range []computetypes.PendingVerification{job(8, 5), job(9, 4)} {
		go func() { _, _ = e.v.awaitModel(ctx, ctx, pv, time.Time{}) }()
	}
	valid := e.honestValidWithin(t, hostile, 3*time.Second)
	time.Sleep(time.Until(start.Add(2500 * time.Millisecond))) // two slices and more, within the trickles' Timeout
	close(stop)
	most := <-sampled
	t.Logf("model 2's file: %d loads for models 2 and 6, %d running at once, %d partial copies kept", most.shared, most.running, most.kept)
	if most.shared > 1 || most.running > 1 || most.kept > 1 {
		t.Fatalf("model 2's file: %d loads for the jobs on models 2 and 6 (one uri), %d loads of it running at once "+
			"(models 2, 5 and 6), %d partial copies of it kept: want at most one of each", most.shared, most.running, most.kept)
	}
	if !valid {
		t.Fatalf("the honest job got no VALID within 3 s beside the loads of one file under three model ids (asked %d times)", e.asked.Load())
	}
}

// oneFileLoads is what v holds of model 2's file (models 2, 5 and 6).
type oneFileLoads struct {
	shared  int // loads of the jobs on models 2 and 6, one uri
	running int // loads of the file running
	kept    int // partial copies of the file kept
}

func (o oneFileLoads) max(p oneFileLoads) oneFileLoads {
	return oneFileLoads{shared: max(o.shared, p.shared), running: max(o.running, p.running), kept: max(o.kept, p.kept)}
}

func sampleOneFileLoads(v *Verifier) oneFileLoads {
	sha := workload.SHA256Hex([]byte("other"))
	var o oneFileLoads
	v.loads.mu.Lock()
	defer v.loads.mu.Unlock()
	for _, l := range v.loads.runs {
		if l.pv.ModelId == 2 || l.pv.ModelId == 6 {
			o.shared++
		}
		if l.running && l.key.file().sha == sha {
			o.running++
		}
	}
	for k, e := range v.loads.partials.m {
		if k.sha == sha && e.bytes > 0 {
			o.kept++
		}
	}
	return o
}
