package jobexec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestJobModelURIFallback: the uri a job keeps for its model (WithModelURI,
// from Job.model_uri) is where the weights are fetched when the model's
// uri fails, and only then; what it serves is checked against the model's
// sha256 like the model's uri's, and its failure is the one that counts.
func TestJobModelURIFallback(t *testing.T) {
	file, err := workload.EncodeSafetensors(testModel())
	if err != nil {
		t.Fatal(err)
	}
	serve := func(body []byte) (*httptest.Server, *atomic.Int64) {
		asked := new(atomic.Int64)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			asked.Add(1)
			if body == nil {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write(body)
		}))
		t.Cleanup(srv.Close)
		return srv, asked
	}
	seller, sellerAsked := serve(file)
	gone, _ := serve(nil)
	other, _ := serve(append([]byte(nil), file[:len(file)-1]...))
	resolver := func(modelURI string) *ChainResolver {
		return NewChainResolver(ResolverConfig{
			Models: fakeModels{model: modelregistrytypes.Model{Id: 4, Uri: modelURI, Sha256: workload.SHA256Hex(file), InputDim: 3, OutputDim: 2}},
			Fetch:  FetchPolicy{AllowLocal: true},
		})
	}
	ctx := context.Background()

	t.Run("the model's uri serves nothing: the job's serves the weights", func(t *testing.T) {
		sellerAsked.Store(0)
		m, err := resolver(gone.URL).Model(WithModelURI(ctx, seller.URL), 4)
		if err != nil || m.InputDim() != 3 {
			t.Fatalf("model from the job's uri: %v", err)
		}
		if n := sellerAsked.Load(); n != 1 {
			t.Fatalf("the job's uri was asked %d times, want 1", n)
		}
	})
	t.Run("the model's uri serves: the job's is not asked", func(t *testing.T) {
		sellerAsked.Store(0)
		goodModel, _ := serve(file)
		if _, err := resolver(goodModel.URL).Model(WithModelURI(ctx, seller.URL), 4); err != nil {
			t.Fatal(err)
		}
		if n := sellerAsked.Load(); n != 0 {
			t.Fatalf("the job's uri was asked %d times while the model's served, want 0", n)
		}
	})
	t.Run("other bytes at the job's uri: a content mismatch", func(t *testing.T) {
		_, err := resolver(gone.URL).Model(WithModelURI(ctx, other.URL), 4)
		if !errors.Is(err, ErrContentMismatch) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("the job's uri serves other bytes, the model's nothing: %v, want ErrContentMismatch with the model uri's 404 beside it", err)
		}
	})
	t.Run("no uri of the job's: the model's failure", func(t *testing.T) {
		_, err := resolver(gone.URL).Model(ctx, 4)
		if err == nil || errors.Is(err, ErrContentMismatch) {
			t.Fatalf("only the model's uri, serving nothing: %v, want its failure", err)
		}
	})
	// The entry points take the uri from the job (SizeOf: a provider's
	// sizing) or the pending verification (CheckInputs: a sidecar's input
	// check).
	t.Run("SizeOf and CheckInputs read the job's uri", func(t *testing.T) {
		spec := computetypes.WorkloadSpec{Kind: workload.KindMLP, ChunkRows: 8, Mlp: &computetypes.MlpSpec{ModelId: 4}}
		r := resolver(gone.URL)
		if _, err := SizeOf(ctx, computetypes.Job{Workload: spec, Rows: 40, ModelUri: seller.URL}, r); err != nil {
			t.Fatalf("SizeOf: %v", err)
		}
		pv := computetypes.PendingVerification{Workload: spec, ModelId: 4, ModelUri: seller.URL, InputsCheck: true}
		if err := CheckInputs(WithFreshFetch(ctx), pv, resolver(gone.URL), nil); err != nil {
			t.Fatalf("CheckInputs: %v", err)
		}
		pv.ModelUri = ""
		if err := CheckInputs(WithFreshFetch(ctx), pv, resolver(gone.URL), nil); err == nil {
			t.Fatal("CheckInputs without the job's uri, the model's serving nothing: nil, want its failure")
		}
	})
}
