package sidecar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// datasetRecords is a datamarket holding one dataset.
type datasetRecords struct {
	datamarkettypes.QueryClient
	rec datamarkettypes.Dataset
}

func (d datasetRecords) Dataset(context.Context, *datamarkettypes.QueryDatasetRequest, ...grpc.CallOption) (*datamarkettypes.QueryDatasetResponse, error) {
	return &datamarkettypes.QueryDatasetResponse{Dataset: d.rec}, nil
}

// TestAttackModelTakenDownDuringVerification: a requester that owns the
// model of its mlp job takes the weights down once the provider has run the
// job and served it the result. Every sidecar used to fail to load the
// model and abstain for good: the verification ended inconclusive, the
// requester got its escrow back and kept the result, and the honest
// provider was paid nothing. The sidecar now asks the job's provider, which
// ran the job with these weights, for them (checked against the on-chain
// sha256): the result is verified. A provider that cannot serve them (or
// serves other bytes) is UNAVAILABLE, as for a chunk it does not serve.
func TestAttackModelTakenDownDuringVerification(t *testing.T) {
	env := newMirrorEnv(t)
	gone := httptest.NewServer(http.NotFoundHandler()) // the model's uri, taken down
	t.Cleanup(gone.Close)
	for _, c := range []struct {
		what    string
		weights []byte // what the provider serves at /v1/models/{sha}; nil: 404
		want    computetypes.Verdict
	}{
		{"the provider serves the weights", env.file, computetypes.Verdict_VERDICT_VALID},
		{"the provider holds no weights", nil, computetypes.Verdict_VERDICT_UNAVAILABLE},
		{"the provider serves other bytes", append(append([]byte{}, env.file...), 0), computetypes.Verdict_VERDICT_UNAVAILABLE},
	} {
		if got, why := env.verify(t, gone.URL+"/m.safetensors", c.weights); got != c.want {
			t.Fatalf("%s: %v (%s), want %v", c.what, got, why, c.want)
		}
	}
}

// mirrorEnv is an mlp job whose sampled chunks a provider serves, for
// checks whose model uri fails in one way or another.
type mirrorEnv struct {
	file   []byte // the model's weights, as registered
	sha    string
	ds     *jobexec.DatasetFile
	chunks *httptest.Server
	root   merkle.Hash
	n      int
}

func newMirrorEnv(t *testing.T) mirrorEnv {
	model, ds := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	chunks, root, n := mlpProvider(t, model, ds, -1, nil)
	return mirrorEnv{file: file, sha: workload.SHA256Hex(file), ds: ds, chunks: chunks, root: root, n: n}
}

// verify checks the job with the model registered at uri and the job's
// provider serving weights at /v1/models/{sha} (nil: 404) beside its chunks.
func (e mirrorEnv) verify(t *testing.T, uri string, weights []byte) (computetypes.Verdict, string) {
	t.Helper()
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/models/") {
			if r.URL.Path != "/v1/models/"+e.sha || weights == nil {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write(weights)
			return
		}
		http.Redirect(w, r, e.chunks.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer prov.Close()
	cfg := testConfig()
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models:   modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: uri, Sha256: e.sha, InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: e.ds.Record},
		Fetch:    cfg.Fetch,
	})
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, Indices: []uint64{0, 3}, OutputRoot: e.root[:],
		ChunkCount: uint64(e.n), ProviderEndpoint: prov.URL}
	return v.Verify(context.Background(), pv)
}

// TestAttackWeightsOverOwnLimitAreNotUnavailable: the provider agent parses
// models up to 1 GiB and bids on them; the sidecar fetched at most
// --max-fetch-bytes (256 MiB by default) from the model's uri and from the
// provider, and called a model between the two (GPT-2 small is ~500 MB)
// UNAVAILABLE although both served it: by > 1/3 of the power, an honest
// provider forfeited its collateral, and any requester could cause it by
// picking such a model. Weights over this sidecar's own limit are now its
// limit, not the provider's fault: it abstains. Its limit is no way out for
// a provider that serves junk instead: a body over the limit is hashed to
// its end, and one that is not the weights is still UNAVAILABLE.
func TestAttackWeightsOverOwnLimitAreNotUnavailable(t *testing.T) {
	model, ds := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(file) }))
	t.Cleanup(up.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)
	chunks, root, n := mlpProvider(t, model, ds, -1, nil)
	junk := append(append([]byte{}, file...), make([]byte, 64)...)
	below, enough := int64(len(file)-1), int64(len(file))

	for _, c := range []struct {
		what   string
		uri    string
		served []byte
		limit  int64
		want   computetypes.Verdict
	}{
		{"uri and provider serve weights over the limit", up.URL, file, below, computetypes.Verdict_VERDICT_UNSPECIFIED},
		{"uri gone, the provider serves weights over the limit", gone.URL, file, below, computetypes.Verdict_VERDICT_UNSPECIFIED},
		{"uri gone, the provider serves junk over the limit", gone.URL, junk, below, computetypes.Verdict_VERDICT_UNAVAILABLE},
		{"uri gone, the provider serves weights within the limit", gone.URL, file, enough, computetypes.Verdict_VERDICT_VALID},
	} {
		prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/v1/models/") {
				_, _ = w.Write(c.served)
				return
			}
			http.Redirect(w, r, chunks.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		cfg := testConfig()
		cfg.MaxWeightsBytes = c.limit
		cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
			Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: c.uri + "/m.safetensors", Sha256: sha,
				InputDim: 3, OutputDim: 2}),
			Datasets: datasetRecords{rec: ds.Record},
			Fetch:    cfg.Fetch,
			Limits:   workload.Limits{MaxFileBytes: c.limit},
		})
		v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
		pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, Indices: []uint64{0}, OutputRoot: root[:],
			ChunkCount: uint64(n), ProviderEndpoint: prov.URL}
		if got, why := v.Verify(context.Background(), pv); got != c.want {
			t.Errorf("%s: %v (%s), want %v", c.what, got, why, c.want)
		}
		prov.Close()
	}
}

// mirrorJob is an mlp job whose model's uri is down, so that the sidecar
// asks the job's provider for the weights: weights answers
// /v1/models/{sha} (file: the model's weights); the chunks are served.
func mirrorJob(t *testing.T, cfg Config, weights func(w http.ResponseWriter, file []byte)) (*Verifier, *chainSource, computetypes.PendingVerification) {
	t.Helper()
	model, ds := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	gone := httptest.NewServer(http.NotFoundHandler()) // the model's uri, taken down
	t.Cleanup(gone.Close)
	chunks, root, n := mlpProvider(t, model, ds, -1, nil)
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/models/") {
			weights(w, file)
			return
		}
		http.Redirect(w, r, chunks.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(prov.Close)
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: gone.URL + "/m.safetensors",
			Sha256: workload.SHA256Hex(file), InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: ds.Record},
		Fetch:    cfg.Fetch,
	})
	src := &chainSource{}
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, Indices: []uint64{0, 3}, OutputRoot: root[:],
		ChunkCount: uint64(n), ProviderEndpoint: prov.URL, VerificationEnd: 1_000, UnavailableSpanBlocks: 3}
	return New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu")), src, pv
}

// TestAttackBusyWeightsMirrorVotesAnHonestProviderUnavailable: hostile
// requester who owns the job's model. It takes the model's uri down after
// the award; every validator's sidecar then asks the provider for the
// weights (/v1/models/{sha}), and the provider, sending as many as it sends
// at once (maxWeightsTransfers, 8), answers the others 503 with Retry-After
// (provider/weights.go). Chunk fetches honoured a busy answer (retryWait),
// but the weights mirror (weightsFrom) asked once and turned the busy answer
// into ErrWeightsUnavailable, UNAVAILABLE at every poll, and across
// unavailable_span_blocks a vote that the honest provider withheld: with
// more validators than transfers, over 1/3 of the power, and the provider's
// collateral slashed. Here the provider is busy to a request that comes
// sooner than 900 ms after the one before, as a provider whose slots free
// as it said would be. Now the mirror asks again after the Retry-After (up
// to FetchRetries attempts, within the check's busy budget) and the job is
// VALID at the first poll; a mirror still busy at its last attempt counts
// toward the unavailable span as a busy chunk does
// (TestBusyWeightsMirrorBusyForEverIsUnavailable).
func TestAttackBusyWeightsMirrorVotesAnHonestProviderUnavailable(t *testing.T) {
	var mu sync.Mutex
	var last time.Time
	weightsAsked := 0
	v, src, pv := mirrorJob(t, testConfig(), func(w http.ResponseWriter, file []byte) {
		mu.Lock()
		weightsAsked++
		busy := last.IsZero() || time.Since(last) < 900*time.Millisecond
		last = time.Now()
		mu.Unlock()
		if busy {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":"busy","message":"this provider is sending as many weights as it sends at once; retry later"}`, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(file)
	})
	for h := int64(10); h <= 13; h++ {
		step(t, v, src, h, pv)
		for _, r := range v.Ready(h) {
			if r.Verdict == computetypes.Verdict_VERDICT_UNAVAILABLE {
				mu.Lock()
				asked := weightsAsked
				mu.Unlock()
				t.Fatalf("height %d: an honest provider that answered its weights busy with Retry-After: 1 (asked %d times, never after the wait it asked for) is voted UNAVAILABLE", h, asked)
			}
		}
	}
	if got := v.Ready(13); len(got) != 1 || got[0].Verdict != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("verdicts %v, want VALID", got)
	}
}

// TestBusyWeightsMirrorBusyForEverIsUnavailable: a provider that answers
// its weights busy at every request, to keep the check from ending, gets no
// verdict at the polls inside unavailable_span_blocks (each asking
// FetchRetries times, after each Retry-After) and is UNAVAILABLE once it
// has been busy at polls spanning it, as for a chunk it does not serve.
func TestBusyWeightsMirrorBusyForEverIsUnavailable(t *testing.T) {
	var asked atomic.Int32
	cfg := testConfig()
	cfg.MaxRetryAfter = 20 * time.Millisecond
	v, src, pv := mirrorJob(t, cfg, func(w http.ResponseWriter, _ []byte) {
		asked.Add(1)
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
	})
	for h := int64(10); h < 13; h++ { // span 3
		step(t, v, src, h, pv)
		if got := v.Ready(h); len(got) != 0 {
			t.Fatalf("height %d, busy since 10: verdicts %v", h, got)
		}
	}
	step(t, v, src, 13, pv)
	if got := v.Ready(13); len(got) != 1 || got[0].Verdict != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("verdicts %v, want UNAVAILABLE", got)
	}
	if got, want := int(asked.Load()), 4*cfg.FetchRetries; got != want {
		t.Fatalf("the provider was asked %d times, want %d (FetchRetries at each of 4 polls)", got, want)
	}
}
