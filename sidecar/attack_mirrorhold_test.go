package sidecar

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackTricklingWeightsMirrorHoldsEveryWorker: hostile provider (and
// requester: a self-dealt job) on a model whose uri fails (any registered
// model whose uri died, or the attacker's own). A check's model load was
// not sliced (slice.go), and it includes the provider sending the weights
// (weightsFrom): the provider answers /v1/models/{sha} with junk under the
// policy's AvgRate and over its MinRate, cut at the policy's Timeout having
// brought more than freeCutBytes, so every cut is a free attempt and the
// transfer goes on, Range after Range, until the check's window ends (the
// junk is only found out at MaxWeightsBytes). Two such jobs held both
// workers of every validator's sidecar for their whole windows, and no
// preempt took them back: an honest job whose window ends first got no
// verdict (inconclusive, its provider unpaid), the attack slicing closed
// for chunks (TestAttackSlowValidChunksParkEveryWorker). Without the free
// cuts the hold is still FetchRetries × Timeout (3 × 2 min), about a
// window. The provider's transfer now runs under the slice (slicedMirror).
// Scaled: Timeout 200 ms, junk at 8 MiB/s against AvgRate 16 MiB/s.
func TestAttackTricklingWeightsMirrorHoldsEveryWorker(t *testing.T) {
	env := newMirrorEnv(t)
	honestSrv, root, n := provider(t, -1)
	gone := httptest.NewServer(http.NotFoundHandler()) // the model's uri
	t.Cleanup(gone.Close)
	var asked atomic.Int32
	trickle := junkWeightsServer(t, env.chunks.URL, &asked)

	cfg := testConfig()
	cfg.Workers, cfg.PollInterval, cfg.MaxWeightsBytes = 2, 10*time.Millisecond, 256<<20
	cfg.Fetch = jobexec.FetchPolicy{AllowLocal: true, Timeout: 200 * time.Millisecond, AvgRate: 16 << 20}
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: gone.URL + "/m.safetensors", Sha256: env.sha,
			InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: env.ds.Record}, Fetch: cfg.Fetch,
	})
	src := &chainSource{}
	v := New(cfg, src, cpu.New(), quiet(), NewMetrics("cpu"))
	var hostile []computetypes.PendingVerification
	for id := uint64(1); id <= 2; id++ {
		hostile = append(hostile, computetypes.PendingVerification{JobId: id, Workload: mlpSpec, Indices: []uint64{0},
			OutputRoot: env.root[:], ChunkCount: uint64(env.n), ProviderEndpoint: trickle.URL,
			VerificationEnd: 1_000, UnavailableSpanBlocks: 3})
	}
	src.set(10, hostile...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { v.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(5 * time.Second); asked.Load() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the workers did not start on the hostile jobs")
		}
		time.Sleep(5 * time.Millisecond)
	}
	honest := pending(honestSrv.URL, root, n, 0)
	honest.JobId, honest.VerificationEnd = 3, 40
	for h := int64(11); h < honest.VerificationEnd; h++ {
		src.set(h, append(append([]computetypes.PendingVerification{}, hostile...), honest)...)
		time.Sleep(30 * time.Millisecond)
		for _, jv := range v.Ready(h) {
			if jv.JobId == honest.JobId && jv.Verdict == computetypes.Verdict_VERDICT_VALID {
				return
			}
		}
	}
	t.Fatalf("the honest job (window ends at height %d, before the hostile jobs') got no verdict in its window: "+
		"both workers were held by providers sending junk as weights, %d requests so far, each cut a free attempt",
		honest.VerificationEnd, asked.Load())
}

// junkWeightsServer is a hostile provider: its chunks are chunksURL's, and
// /v1/models/{sha} (counted in asked) is 1 GiB of junk announced, sent at
// 8 MiB/s from wherever a Range asks.
func junkWeightsServer(t *testing.T, chunksURL string, asked *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/models/") {
			http.Redirect(w, r, chunksURL+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		asked.Add(1)
		const size = 1 << 30
		var from int64
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from); err == nil {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, size-1, size))
			w.WriteHeader(http.StatusPartialContent)
		} else {
			w.Header().Set("Content-Length", fmt.Sprint(size))
		}
		trickleJunk(w, r, 512<<10)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestPreemptedWeightsTransferGoesOnWhereItStopped: the other side of
// slicedMirror. An honest provider's weights transfer cut because the
// worker was taken back is no failure and is not sent again: the check
// yields, and its next slice asks for the rest (a Range from where the
// transfer stopped, partialWeights) and ends VALID.
func TestPreemptedWeightsTransferGoesOnWhereItStopped(t *testing.T) {
	_, ds := mlpFixture(t)
	model, file, sha := largeMLPModel(t) // a 1.5 MiB file: over freeCutBytes, so its bytes are kept
	chunks, root, n := mlpProvider(t, model, ds, -1, nil)
	prov := &pacedWeights{file: file, chunks: chunks.URL}
	srv := httptest.NewServer(prov)
	t.Cleanup(srv.Close)
	gone := httptest.NewServer(http.NotFoundHandler()) // the model's uri
	t.Cleanup(gone.Close)

	cfg := testConfig()
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: gone.URL + "/m.safetensors", Sha256: sha,
			InputDim: 3, OutputDim: 2}),
		Datasets: datasetRecords{rec: ds.Record}, Fetch: cfg.Fetch,
	})
	v := New(cfg, nil, cpu.New(), quiet(), NewMetrics("cpu"))
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, Indices: []uint64{0, 3}, OutputRoot: root[:],
		ChunkCount: uint64(n), ProviderEndpoint: srv.URL, VerificationEnd: 1_000, UnavailableSpanBlocks: 3}

	slice, yield := context.WithCancel(context.Background())
	go func() { // the worker is taken back 1.2 MiB into the transfer
		for prov.sent.Load() < 1200<<10 {
			time.Sleep(2 * time.Millisecond)
		}
		yield()
	}()
	var p chunkProgress
	if o := v.checkOnce(context.Background(), slice, pv, &p); !o.yielded {
		t.Fatalf("the worker taken back during the provider's weights transfer: %v (%s), want the check to yield", o.verdict, o.reason)
	}
	had := prov.sent.Load()
	o := v.checkOnce(context.Background(), context.Background(), pv, &p)
	if o.verdict != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("the next slice: %v (%s), want VALID", o.verdict, o.reason)
	}
	// Sent again: at most what was in flight when the transfer was cut.
	ranges, again := prov.asked(), prov.sent.Load()-int64(len(file))
	if len(ranges) != 2 || ranges[0] != "" || !strings.HasPrefix(ranges[1], "bytes=") || again > 256<<10 {
		t.Fatalf("the provider was asked %q and sent %d bytes more than the %d-byte file (%d before the worker was taken back): "+
			"want the rest asked from where it stopped, not the whole file again", ranges, again, len(file), had)
	}
}

// pacedWeights is an honest provider: its chunks are at chunks, and it
// sends its weights (Range requests honoured) at about 3 MiB/s.
type pacedWeights struct {
	file   []byte
	chunks string
	sent   atomic.Int64
	mu     sync.Mutex
	ranges []string
}

func (p *pacedWeights) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/v1/models/") {
		http.Redirect(w, r, p.chunks+r.URL.Path, http.StatusTemporaryRedirect)
		return
	}
	p.mu.Lock()
	p.ranges = append(p.ranges, r.Header.Get("Range"))
	p.mu.Unlock()
	http.ServeContent(&pacedWriter{ResponseWriter: w, r: r, p: p}, r, "", time.Time{}, bytes.NewReader(p.file))
}

func (p *pacedWeights) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ranges...)
}

type pacedWriter struct {
	http.ResponseWriter
	r *http.Request
	p *pacedWeights
}

func (w *pacedWriter) Write(b []byte) (int, error) {
	var n int
	for len(b) > 0 {
		k, err := w.ResponseWriter.Write(b[:min(len(b), 32<<10)])
		n += k
		w.p.sent.Add(int64(k))
		if err != nil {
			return n, err
		}
		w.ResponseWriter.(http.Flusher).Flush()
		b = b[k:]
		select {
		case <-w.r.Context().Done():
			return n, w.r.Context().Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return n, nil
}

// trickleJunk writes chunk-sized runs of junk to w every 62 ms until the
// request or the connection ends (chunk 16 KiB: about 256 KiB/s).
func trickleJunk(w http.ResponseWriter, r *http.Request, chunk int) {
	junk := make([]byte, chunk)
	for {
		if _, err := w.Write(junk); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(62 * time.Millisecond):
		}
	}
}

// largeMLPModel is a 3 → 65,536 → 2 model: a 1.5 MiB safetensors file, its
// bytes and their sha256.
func largeMLPModel(t *testing.T) (*workload.Model, []byte, string) {
	t.Helper()
	const hidden = 1 << 16
	w0, w1 := make([]float32, 3*hidden), make([]float32, hidden*2)
	for i := range w0 {
		w0[i] = float32(i%7)*0.01 - 0.03
	}
	for i := range w1 {
		w1[i] = float32(i%5)*0.001 - 0.002
	}
	model := &workload.Model{Layers: []workload.Layer{
		{In: 3, Out: hidden, Weight: w0, Bias: make([]float32, hidden)},
		{In: hidden, Out: 2, Weight: w1, Bias: []float32{0.05, -0.05}},
	}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	return model, file, workload.SHA256Hex(file)
}
