package sidecar

import (
	"testing"
	"time"

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
