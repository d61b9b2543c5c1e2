package sidecar

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// mlpFile is the safetensors file of a 3→hidden→2 mlp.
func mlpFile(t *testing.T, hidden int) []byte {
	t.Helper()
	w0, w1 := make([]float32, 3*hidden), make([]float32, hidden*2)
	for i := range w0 {
		w0[i] = float32(i%7)*0.01 - 0.03
	}
	file, err := workload.EncodeSafetensors(&workload.Model{Layers: []workload.Layer{
		{In: 3, Out: hidden, Weight: w0, Bias: make([]float32, hidden)},
		{In: hidden, Out: 2, Weight: w1, Bias: make([]float32, 2)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// slicedLoads loads model 2 (1.5 MiB sent at about 3 MiB/s by slow, with
// or without Range) with one load running at a time (Workers 1), room in
// the loads' budget for what a paused one keeps, and slices of 100 ms,
// asks for model 1 (a small file served at once) while it loads, and
// checks that both load; it returns what slow was asked.
func slicedLoads(t *testing.T, ignoreRange bool) (asked []string, sent, size int64) {
	wrap := func(h http.Handler) http.Handler { return h }
	if ignoreRange {
		wrap = func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { r.Header.Del("Range"); h.ServeHTTP(w, r) })
		}
	}
	slow, sha, uri := servePacedWeights(t, wrap)
	small := mlpFile(t, 4)
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(small) }))
	t.Cleanup(fast.Close)
	cfg := testConfig()
	cfg.Workers, cfg.MaxWeightsBytes, cfg.ModelLoadBytes, cfg.CheckSlice = 1, 256<<20, 512<<20, 100*time.Millisecond
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{Fetch: cfg.Fetch, Models: modelreg.Of(
		modelregistrytypes.Model{Id: 2, Uri: uri, Sha256: sha, InputDim: 3, OutputDim: 2},
		modelregistrytypes.Model{Id: 1, Uri: fast.URL + "/m.safetensors", Sha256: workload.SHA256Hex(small), InputDim: 3, OutputDim: 2})})
	v := New(cfg, staticSource{}, cpu.New(), quiet(), NewMetrics("cpu"))
	runVerifier(t, v)
	await := func(model uint64) chan error {
		res := make(chan error, 1)
		awaitModelInto(context.Background(), v, model, model, res)
		return res
	}
	bigDone := await(2)
	for slow.sent.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := <-await(1); err != nil {
		t.Fatalf("model 1's load, asked while model 2's held the one slot: %v", err)
	}
	if took := time.Since(start); took > 400*time.Millisecond {
		t.Fatalf("model 1 loaded after %s, waiting for model 2's load to end: want it within a slice or so", took)
	}
	if err := <-bigDone; err != nil {
		t.Fatalf("model 2's load, cut by its slice: %v", err)
	}
	return slow.asked(), slow.sent.Load(), int64(len(slow.file))
}

// TestSlicedModelLoadResumesWithARange: with room for one load, a model
// whose uri sends it slowly gives its slot back at the end of its slice to
// another model's load, and then goes on from where it stopped: a Range
// request for the rest, the file sent about once in all.
func TestSlicedModelLoadResumesWithARange(t *testing.T) {
	asked, sent, size := slicedLoads(t, false)
	if len(asked) != 2 || asked[0] != "" || !strings.HasPrefix(asked[1], "bytes=") || sent > size+size/4 {
		t.Fatalf("the uri was asked %q and sent %d bytes of a %d-byte file: want the load resumed with a Range", asked, sent, size)
	}
}

// TestSlicedModelLoadFromAServerIgnoringRange: the honest side of a uri
// that does not serve Range requests: the load cut by its slice fetches
// the file afresh when it runs again, and loads.
func TestSlicedModelLoadFromAServerIgnoringRange(t *testing.T) {
	asked, sent, size := slicedLoads(t, true)
	if len(asked) < 2 || sent < size+1 {
		t.Fatalf("the uri was asked %q and sent %d bytes of a %d-byte file: want the load cut and fetched afresh", asked, sent, size)
	}
}

// servePacedWeights serves a weights file of 65,536 rows at pacedWeights'
// pace, through wrap (nil: as it is), until the test ends, and returns it
// with its sha256 and its uri.
func servePacedWeights(t *testing.T, wrap func(http.Handler) http.Handler) (slow *pacedWeights, sha, uri string) {
	t.Helper()
	slow = &pacedWeights{file: mlpFile(t, 1<<16)}
	var h http.Handler = slow
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sha = workload.SHA256Hex(slow.file)
	return slow, sha, srv.URL + "/v1/models/" + sha
}

// awaitModelInto runs v.awaitModel for job's check of model (an mlp job) in
// a goroutine, until ctx ends, and sends its error to out.
func awaitModelInto(ctx context.Context, v *Verifier, job, model uint64, out chan<- error) {
	pv := computetypes.PendingVerification{JobId: job, Workload: mlpSpec, ModelId: model, VerificationEnd: 1_000}
	go func() {
		_, err := v.awaitModel(ctx, ctx, pv, time.Time{})
		out <- err
	}()
}
