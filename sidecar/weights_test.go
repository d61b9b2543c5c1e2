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
