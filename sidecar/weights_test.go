package sidecar

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// modelRecords is a model registry holding one model.
type modelRecords struct {
	modelregistrytypes.QueryClient
	rec modelregistrytypes.Model
}

func (m modelRecords) Model(_ context.Context, in *modelregistrytypes.QueryModelRequest, _ ...grpc.CallOption) (*modelregistrytypes.QueryModelResponse, error) {
	if in.Id != m.rec.Id {
		return nil, errors.New("model not found")
	}
	return &modelregistrytypes.QueryModelResponse{Model: m.rec}, nil
}

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
	model, ds := mlpFixture(t)
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	gone := httptest.NewServer(http.NotFoundHandler()) // the model's uri, taken down
	t.Cleanup(gone.Close)
	chunks, root, n := mlpProvider(t, model, ds, -1, nil)

	for _, c := range []struct {
		what    string
		weights []byte // what the provider serves at /v1/models/{sha}; nil: 404
		want    computetypes.Verdict
	}{
		{"the provider serves the weights", file, computetypes.Verdict_VERDICT_VALID},
		{"the provider holds no weights", nil, computetypes.Verdict_VERDICT_UNAVAILABLE},
		{"the provider serves other bytes", append(append([]byte{}, file...), 0), computetypes.Verdict_VERDICT_UNAVAILABLE},
	} {
		prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/v1/models/") {
				if r.URL.Path != "/v1/models/"+sha || c.weights == nil {
					http.NotFound(w, r)
					return
				}
				_, _ = w.Write(c.weights)
				return
			}
			http.Redirect(w, r, chunks.URL+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		cfg := testConfig()
		cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
			Models: modelRecords{rec: modelregistrytypes.Model{Id: 2, Uri: gone.URL + "/m.safetensors", Sha256: sha,
				InputDim: 3, OutputDim: 2}},
			Datasets: datasetRecords{rec: ds.Record},
			Fetch:    cfg.Fetch,
		})
		v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
		pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, Indices: []uint64{0, 3}, OutputRoot: root[:],
			ChunkCount: uint64(n), ProviderEndpoint: prov.URL}
		if got, why := v.Verify(context.Background(), pv); got != c.want {
			t.Fatalf("%s: %v (%s), want %v", c.what, got, why, c.want)
		}
		prov.Close()
	}
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
			Models: modelRecords{rec: modelregistrytypes.Model{Id: 2, Uri: c.uri + "/m.safetensors", Sha256: sha,
				InputDim: 3, OutputDim: 2}},
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
