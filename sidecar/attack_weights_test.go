package sidecar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackModelURIServingOtherBytesSkipsTheMirror: hostile party: the
// model's owner (a requester that owns the model of its own job, or one
// colluding with a cheating provider). TestAttackModelTakenDownDuringVerification
// made the sidecar ask the job's provider for the weights when their uri
// fails; but "fails" means only that the fetch failed (404, a dead host, too
// large). A uri that answers 200 with bytes that are not the on-chain
// sha256 (a junk file, or simply the owner's next version uploaded at the
// same URL) is returned by ChainResolver.weights as a success, the parser
// then refuses it with ErrDigestMismatch, and that error does not wrap
// ErrWeightsUnavailable: the mirror is never asked and the sidecar abstains
// ("cannot run workload"), three times, then for good. The verification
// ends inconclusive:
//   - an honest provider, which holds the weights and serves them at
//     /v1/models/{sha}, is paid nothing, and the requester keeps the result;
//   - a cheating provider that holds no weights (or a wrong result) is
//     neither INVALID nor UNAVAILABLE, and keeps its collateral.
//
// Correct behaviour: bytes from the uri that are not the weights are a
// failed uri fetch like a 404: the provider is asked, VALID when it serves
// them, UNAVAILABLE when it does not.
func TestAttackModelURIServingOtherBytesSkipsTheMirror(t *testing.T) {
	env := newMirrorEnv(t)
	other := append([]byte{}, env.file...)
	other[len(other)-1] ^= 0x01 // same size, not the registered file
	junkURI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(other) }))
	t.Cleanup(junkURI.Close)
	for _, c := range []struct {
		what    string
		weights []byte // served at /v1/models/{sha}; nil: 404
		want    computetypes.Verdict
	}{
		{"the provider serves the weights", env.file, computetypes.Verdict_VERDICT_VALID},
		{"the provider holds no weights", nil, computetypes.Verdict_VERDICT_UNAVAILABLE},
	} {
		if got, why := env.verify(t, junkURI.URL+"/m.safetensors", c.weights); got != c.want {
			t.Errorf("model uri serves 200 with other bytes, %s: %v (%s), want %v", c.what, got, why, c.want)
		}
	}
}

// TestAttackSharedWeightsLoadBlamesAnotherProvider: hostile party: a
// provider that holds a job on a model whose uri is down (its owner, or a
// model owner colluding with it, took it down), against an honest provider
// holding another job on the same model. ChainResolver shares one load per
// model (loadcache, keyed by sha256) among every check that asks for it
// meanwhile, but the load runs with the context of the check that started
// it, and that context carries that job's WeightsMirror: its provider's
// /v1/models/{sha}. When the hostile provider's check starts the load and
// its provider stalls and then refuses the weights, the honest job's check,
// waiting on the same load, gets the hostile provider's failure, wrapped in
// ErrWeightsUnavailable, and verifyChunks votes the honest provider
// UNAVAILABLE: its own /v1/models/{sha}, which serves the weights, is never
// asked. The scheduler counts that toward the unavailable span; an attacker
// whose job is checked first (its window ends first: jobState.before) can
// repeat it at every poll, and by more than 1/3 of the power the honest
// provider forfeits the job's collateral for another provider's refusal.
//
// Correct behaviour: a check never inherits another job's mirror failure;
// the honest job's weights are asked of its own provider: VALID.
func TestAttackSharedWeightsLoadBlamesAnotherProvider(t *testing.T) {
	model, ds := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	gone := httptest.NewServer(http.NotFoundHandler()) // the model's uri, taken down
	t.Cleanup(gone.Close)
	chunks, root, n := mlpProvider(t, model, ds, -1, nil)

	// The hostile provider: its weights request is held until released,
	// then refused.
	reached := make(chan struct{})
	release := make(chan struct{})
	var reachOnce, releaseOnce sync.Once
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/models/") {
			reachOnce.Do(func() { close(reached) })
			select {
			case <-release:
			case <-r.Context().Done():
			}
			http.NotFound(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(hostile.Close)
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })

	// The honest provider: serves the weights and the chunks.
	honestAsked := make(chan struct{})
	var askedOnce sync.Once
	honest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/models/") {
			askedOnce.Do(func() { close(honestAsked) })
			if r.URL.Path != "/v1/models/"+sha {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write(file)
			return
		}
		http.Redirect(w, r, chunks.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(honest.Close)

	cfg := testConfig()
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: gone.URL + "/m.safetensors", Sha256: sha,
			InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: ds.Record},
		Fetch:    cfg.Fetch,
	})
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	job := func(id uint64, endpoint string) computetypes.PendingVerification {
		return computetypes.PendingVerification{JobId: id, Workload: mlpSpec, Indices: []uint64{0, 3}, OutputRoot: root[:],
			ChunkCount: uint64(n), ProviderEndpoint: endpoint}
	}

	// The two workers: the hostile provider's job first (its window ends
	// first), the honest one a moment later.
	hostileDone := make(chan computetypes.Verdict, 1)
	go func() {
		got, _ := v.Verify(context.Background(), job(8, hostile.URL))
		hostileDone <- got
	}()
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the hostile provider's check never asked it for the weights")
	}
	type result struct {
		verdict computetypes.Verdict
		why     string
	}
	honestDone := make(chan result, 1)
	go func() {
		got, why := v.Verify(context.Background(), job(9, honest.URL))
		honestDone <- result{got, why}
	}()
	// Let the honest check reach the model load; if it asks its own
	// provider meanwhile, there is nothing shared to blame.
	select {
	case <-honestAsked:
	case <-time.After(500 * time.Millisecond):
	}
	releaseOnce.Do(func() { close(release) })

	var got result
	select {
	case got = <-honestDone:
	case <-time.After(30 * time.Second):
		t.Fatal("the honest job's check did not end")
	}
	<-hostileDone
	if got.verdict != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("honest provider %s, which serves the weights and every chunk: %v (%s), want VALID; "+
			"the failure is the other job's provider %s", honest.URL, got.verdict, got.why, hostile.URL)
	}
}
