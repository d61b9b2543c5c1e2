package jobexec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackStarterDeadlinePoisonsTheURIForWaiters: a76b8ad made loadcache
// hand a load that failed with its starter's context ended (cancelled, or
// its deadline passed) to no waiter: each loads again under its own
// context. But ChainResolver.weights records every uri failure in r.failed
// for FailureTTL except context.Canceled, so a starter whose deadline
// passes (a check late in its window, a provider's sizing bound) records
// its own context.DeadlineExceeded as the uri's failure. The waiter's new
// load then meets ErrRecentFailure without asking the uri, which serves the
// weights: with no mirror (a provider's sizing) the model is "unavailable"
// for a minute; for a sidecar every check of every job of that model goes
// to its provider's mirror and is voted on its answer. Root cause:
// failures.record (jobexec/fetch.go) treats a caller's deadline as the
// uri's; ChainResolver.weights should not record a failure when ctx.Err()
// != nil.
func TestAttackStarterDeadlinePoisonsTheURIForWaiters(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	var requests atomic.Int32
	reached := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 { // the starter's fetch: slow past its deadline
			close(reached)
			<-r.Context().Done()
			return
		}
		_, _ = w.Write(file)
	}))
	t.Cleanup(srv.Close)
	rec := modelregistrytypes.Model{Id: 1, Sha256: sha, Uri: srv.URL + "/m.safetensors", InputDim: 2, OutputDim: 1}
	r := NewChainResolver(ResolverConfig{Models: fakeModels{model: rec}, Fetch: FetchPolicy{AllowLocal: true}})

	var wg sync.WaitGroup
	wg.Add(1)
	var starterErr error
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, starterErr = r.Model(ctx, 1)
	}()
	<-reached
	// A waiter under a context of its own, without a mirror.
	_, err = r.Model(context.Background(), 1)
	wg.Wait()
	if !errors.Is(starterErr, context.DeadlineExceeded) {
		t.Fatalf("starter: %v, want its deadline", starterErr)
	}
	if err != nil {
		t.Fatalf("a waiter whose context is alive, the uri serving the weights (%d requests): %v", requests.Load(), err)
	}
}
