package jobexec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackURIServingOtherBytesSkipsTheMirror: a model's uri that answers
// 200 with bytes that are not the on-chain sha256 (its owner replaced the
// file, or serves junk on purpose after the award) is taken by weights()
// as a successful fetch: the bytes go to the parser, which refuses them
// (ErrDigestMismatch), and the WeightsMirror in the context (the job's
// provider, which ran the job with the weights) is never asked. The
// sidecar then abstains for good instead of verifying
// (sidecar TestAttackModelURIServingOtherBytesSkipsTheMirror). Root cause:
// ChainResolver.weights checks the digest of the mirror's bytes but not of
// the uri's. Correct behaviour: bytes from the uri that are not the
// weights are a failed fetch like a 404: the mirror is asked.
func TestAttackURIServingOtherBytesSkipsTheMirror(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	other := append([]byte{}, file...)
	other[len(other)-1] ^= 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(other) }))
	t.Cleanup(srv.Close)
	rec := modelregistrytypes.Model{Id: 1, Sha256: sha, Uri: srv.URL + "/m.safetensors", InputDim: 2, OutputDim: 1}
	r := NewChainResolver(ResolverConfig{Models: fakeModels{model: rec}, Fetch: FetchPolicy{AllowLocal: true}})
	var asked atomic.Int32
	ctx := WithWeightsMirror(context.Background(), func(context.Context, string) (workload.Checked, error) {
		asked.Add(1)
		return workload.CheckFile(file, sha)
	})
	if _, err := r.Model(ctx, 1); err != nil || asked.Load() == 0 {
		t.Fatalf("uri serves other bytes, the mirror serves the weights: err %v, mirror asked %d times", err, asked.Load())
	}
}

// TestAttackSharedLoadUsesAnotherCallersMirror: ChainResolver loads a model
// once for every caller that asks for it meanwhile (loadcache), but the load
// runs with the first caller's context, whose WeightsMirror is the first
// caller's job's provider. A second caller, carrying the mirror of another
// job's provider (which serves the weights), waits on the first load and
// gets its failure: ErrWeightsUnavailable, which the sidecar votes as the
// second job's provider being UNAVAILABLE
// (sidecar TestAttackSharedWeightsLoadBlamesAnotherProvider). The same
// holds for the first caller's cancellation (its job leaving the pending
// list or its window ending): the waiters get context.Canceled and
// abstain. Root cause: loadModel shares a load whose outcome depends on
// per-caller state (the mirror, the context). Correct behaviour: a caller
// whose own mirror serves the weights gets them.
func TestAttackSharedLoadUsesAnotherCallersMirror(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)
	rec := modelregistrytypes.Model{Id: 1, Sha256: sha, Uri: gone.URL + "/m.safetensors", InputDim: 2, OutputDim: 1}
	r := NewChainResolver(ResolverConfig{Models: fakeModels{model: rec}, Fetch: FetchPolicy{AllowLocal: true}})

	reached, release := make(chan struct{}), make(chan struct{})
	hostile := WithWeightsMirror(context.Background(), func(context.Context, string) (workload.Checked, error) {
		close(reached)
		<-release
		return workload.Checked{}, errors.New("HTTP 404")
	})
	var honestAsked atomic.Int32
	honest := WithWeightsMirror(context.Background(), func(context.Context, string) (workload.Checked, error) {
		honestAsked.Add(1)
		return workload.CheckFile(file, sha)
	})
	first := make(chan error, 1)
	go func() {
		_, err := r.Model(hostile, 1)
		first <- err
	}()
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the first load never asked its mirror")
	}
	second := make(chan error, 1)
	go func() {
		_, err := r.Model(honest, 1)
		second <- err
	}()
	time.Sleep(300 * time.Millisecond) // let the second caller reach the shared load
	close(release)
	err = <-second
	<-first
	if err != nil {
		t.Fatalf("a caller whose own mirror serves the weights (asked %d times) got: %v", honestAsked.Load(), err)
	}
}

// TestAttackCancelledSharedLoadIsNotHandedToWaiters: the check that started
// a model's shared load is cancelled (its job left the pending list, its
// window ended) while its uri answers slowly; a check waiting on the same
// load does not get context.Canceled but loads under its own context: its
// uri fetch fails (404) and its own mirror serves the weights.
func TestAttackCancelledSharedLoadIsNotHandedToWaiters(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	reached := make(chan struct{})
	var first atomic.Bool
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first.CompareAndSwap(false, true) {
			close(reached)
			<-r.Context().Done() // held until the first caller gives up
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(slow.Close)
	rec := modelregistrytypes.Model{Id: 1, Sha256: sha, Uri: slow.URL + "/m.safetensors", InputDim: 2, OutputDim: 1}
	r := NewChainResolver(ResolverConfig{Models: fakeModels{model: rec}, Fetch: FetchPolicy{AllowLocal: true}})

	cancelled, cancel := context.WithCancel(WithWeightsMirror(context.Background(), func(context.Context, string) (workload.Checked, error) {
		return workload.Checked{}, errors.New("the first caller's mirror is never asked")
	}))
	firstDone := make(chan error, 1)
	go func() {
		_, err := r.Model(cancelled, 1)
		firstDone <- err
	}()
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("the first load never reached the uri")
	}
	second := make(chan error, 1)
	go func() {
		_, err := r.Model(WithWeightsMirror(context.Background(), func(context.Context, string) (workload.Checked, error) { return workload.CheckFile(file, sha) }), 1)
		second <- err
	}()
	time.Sleep(300 * time.Millisecond) // let the second caller reach the shared load
	cancel()
	if err := <-second; err != nil {
		t.Fatalf("a caller whose own mirror serves the weights, after the load it waited on was cancelled: %v", err)
	}
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller: %v, want context.Canceled", err)
	}
}

// TestAttackHugeContentLengthTurnsUnavailableIntoAbstention: the model's
// owner, colluding with a provider that cannot serve the weights it claims
// to have run, has the uri announce a Content-Length over the verifier's
// limit. A sidecar abstains on weights over its own limit (they may be
// honest, only too large for it: TestAttackWeightsOverOwnLimitAreNotUnavailable),
// and the uri's ErrTooLarge was carried into the mirror's failure, so the
// provider's refusal read as "too large for me" and the sidecar abstained
// instead of voting the provider UNAVAILABLE. What the mirror failed with is
// what counts once the mirror is asked: the uri's error is text only.
func TestAttackHugeContentLengthTurnsUnavailableIntoAbstention(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "1099511627776") // 1 TiB announced, nothing sent
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(huge.Close)
	rec := modelregistrytypes.Model{Id: 1, Sha256: sha, Uri: huge.URL + "/m.safetensors", InputDim: 2, OutputDim: 1}
	r := NewChainResolver(ResolverConfig{Models: fakeModels{model: rec}, Fetch: FetchPolicy{AllowLocal: true}})
	ctx := WithWeightsMirror(context.Background(), func(context.Context, string) (workload.Checked, error) {
		return workload.Checked{}, errors.New("HTTP 404")
	})
	_, err = r.Model(ctx, 1)
	if !errors.Is(err, ErrWeightsUnavailable) || errors.Is(err, workload.ErrTooLarge) {
		t.Fatalf("uri announcing 1 TiB, mirror refusing: %v (ErrWeightsUnavailable %v, ErrTooLarge %v), want unavailable and not too large",
			err, errors.Is(err, ErrWeightsUnavailable), errors.Is(err, workload.ErrTooLarge))
	}
}
