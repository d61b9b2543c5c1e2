package sidecar

// The provider alone cannot send a taken-down model's weights to every
// validator within the unavailable span: sidecars send them to each other
// (peers.go). Found 2026-12-06 (docs/open-attacks.md, now closed).

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/testutil/modelreg"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// uplink is a provider's upload bandwidth, shared by every transfer it
// writes: each piece reserves its time on one timeline.
type uplink struct {
	mu       sync.Mutex
	next     time.Time
	perByte  time.Duration
	inFlight atomic.Int32
}

func (u *uplink) write(ctx context.Context, w http.ResponseWriter, data []byte) {
	f := w.(http.Flusher)
	for len(data) > 0 {
		n := min(len(data), 8<<10)
		u.mu.Lock()
		now := time.Now()
		if u.next.Before(now) {
			u.next = now
		}
		u.next = u.next.Add(time.Duration(n) * u.perByte)
		at := u.next
		u.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(at)):
		}
		if _, err := w.Write(data[:n]); err != nil {
			return
		}
		f.Flush()
		data = data[n:]
	}
}

// TestAttackModelTakenDownProviderCannotUploadToEveryValidatorInTheSpan:
// hostile requester that owns its job's model (economics item 24). Once the
// honest provider has run the job, the requester takes the weights down.
// Every validator's sidecar then needs the whole weights file before it can
// recompute a single chunk, and the provider sends 8 at once
// (provider/weights.go maxWeightsTransfers), the others 503 + Retry-After.
// A sidecar busy-refused at polls spanning unavailable_span_blocks votes
// UNAVAILABLE (weightsFrom, schedule.go). With the provider the only sender
// it had to push V × W bytes (V validators, W the weights) within about the
// span: 100 validators × 1 GiB over 1 Gbit/s is 860 s against 20 blocks
// (~2 min). Here, time scaled 100× (a 60 ms block, span 20 blocks = 1.2 s,
// Retry-After 5 s → 50 ms, poll 1 s → 10 ms), 60 validators of equal power,
// and an uplink that sends one round of 8 transfers in ~0.7 s (1 GiB at
// 1 Gbit/s, 8 at once, is ~69 s): without peers only the first rounds of
// validators got the weights before their span ended, the rest (> 1/3 of
// the power: 36 of 60) voted UNAVAILABLE, and the honest provider
// forfeited the job's whole collateral while the requester got its escrow
// back with the result in hand. Now each sidecar that has the weights
// serves the others (peers.go), so the senders double every round.
func TestAttackModelTakenDownProviderCannotUploadToEveryValidatorInTheSpan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hostile int // validators whose sidecars trickle the weights to every peer, and vote UNAVAILABLE
	}{
		{"honest peers", 0},
		// Colluding with the requester: each claims the weights and sends
		// them slower than any use, for as long as a lane's timeout.
		{"a sixth of the validators trickle", 10},
	} {
		t.Run(tc.name, func(t *testing.T) { takenDownModel(t, tc.hostile) })
	}
}

// takenDownModel runs the attack with hostile of the 60 validators
// colluding (see TestAttackModelTakenDownProviderCannotUploadToEveryValidatorInTheSpan).
func takenDownModel(t *testing.T, hostile int) {
	_, ds := mlpFixture(t)
	// A wider model than the fixture's, so that its file is ~100 KB.
	const hidden = 4096
	w0, b0, w1 := make([]float32, 3*hidden), make([]float32, hidden), make([]float32, hidden*2)
	for i := range w0 {
		w0[i] = float32(i%7)*0.01 - 0.03
	}
	for i := range w1 {
		w1[i] = float32(i%5)*0.01 - 0.02
	}
	model := &workload.Model{Layers: []workload.Layer{
		{In: 3, Out: hidden, Weight: w0, Bias: b0},
		{In: hidden, Out: 2, Weight: w1, Bias: []float32{0.05, -0.05}},
	}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	chunks, root, n := mlpProvider(t, model, ds, -1, nil)
	gone := httptest.NewServer(http.NotFoundHandler()) // the model's uri, taken down
	t.Cleanup(gone.Close)

	const (
		block      = 60 * time.Millisecond
		span       = 20
		validators = 60
		transfers  = 8 // provider/weights.go maxWeightsTransfers
	)
	round := 700 * time.Millisecond // 8 transfers at once, each W
	up := &uplink{perByte: round / time.Duration(transfers*len(file))}
	var served atomic.Int32
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/models/") {
			if up.inFlight.Add(1) > transfers {
				up.inFlight.Add(-1)
				w.Header().Set("Retry-After", "5")
				http.Error(w, `{"error":"busy","message":"this provider is sending as many weights as it sends at once; retry later"}`,
					http.StatusServiceUnavailable)
				return
			}
			defer up.inFlight.Add(-1)
			w.Header().Set("Content-Length", strconv.Itoa(len(file)))
			up.write(r.Context(), w, file)
			served.Add(1)
			return
		}
		http.Redirect(w, r, chunks.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(prov.Close)

	peers := newPeerMesh(t, validators)
	for i := validators - hostile; i < validators; i++ {
		peers.trickle(t, i)
	}

	src := &chainSource{}
	pv := computetypes.PendingVerification{JobId: 9, Workload: mlpSpec, Indices: []uint64{0, 3}, OutputRoot: root[:],
		ChunkCount: uint64(n), ProviderEndpoint: prov.URL, VerificationEnd: 100_000, UnavailableSpanBlocks: span}
	src.set(1, pv)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	vs := make([]*Verifier, validators-hostile)
	for i := range vs {
		cfg := Config{PollInterval: 10 * time.Millisecond, FetchTimeout: 250 * time.Millisecond, FetchRetries: 3,
			RetryBackoff: 10 * time.Millisecond, MaxRetryAfter: 300 * time.Millisecond,
			Signer: peers.signers[i], Peers: peers.sets[i],
			PeerTransferTimeout: 740 * time.Millisecond, // 1 GiB's default (74 s), scaled
			Fetch:               jobexec.FetchPolicy{AllowLocal: true}}
		cfg.MaxRetryAfter = 50 * time.Millisecond // Retry-After 5 s, scaled
		cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
			Models: modelreg.Of(modelregistrytypes.Model{Id: 2, Uri: gone.URL + "/m.safetensors", Sha256: sha,
				InputDim: 3, OutputDim: 2}),
			Datasets: datasetRecords{rec: ds.Record},
			Fetch:    cfg.Fetch, CacheDir: t.TempDir(),
		})
		vs[i] = New(cfg, src, cpu.New(), quiet(), peers.metrics[i])
		peers.serve(t, i, cfg.MLP.(*jobexec.ChainResolver).OpenCachedWeights)
		wg.Add(1)
		go func() { defer wg.Done(); vs[i].Run(ctx) }()
	}
	// Blocks.
	h := int64(1)
	for ; h < 3*span; h++ {
		time.Sleep(block)
		src.set(h, pv)
	}
	counts := map[computetypes.Verdict]int{computetypes.Verdict_VERDICT_UNAVAILABLE: hostile}
	for _, v := range vs {
		got := v.Ready(h)
		if len(got) == 1 {
			counts[got[0].Verdict]++
		} else {
			counts[computetypes.Verdict_VERDICT_UNSPECIFIED]++
		}
	}
	cancel()
	wg.Wait()
	fromPeers := peers.received()
	t.Logf("after %d blocks: %d weights transfers from the provider, %d sidecars had them from a peer; verdicts (the hostile validators' UNAVAILABLE included) %v",
		h, served.Load(), fromPeers, counts)
	if fromPeers == 0 {
		t.Fatal("no sidecar had the weights from another")
	}
	if u := counts[computetypes.Verdict_VERDICT_UNAVAILABLE]; 3*u > validators {
		t.Fatalf("%d of %d validators (> 1/3 of the power) vote an honest provider, which serves its weights to every one that asks as fast as its uplink allows, UNAVAILABLE: it forfeits the job's collateral", u, validators)
	}
}

// peerMesh is n sidecars' weights servers, each told the others' URLs and
// the n signers as the bonded validators.
type peerMesh struct {
	signers []signedreq.PrivKeySigner
	sets    []*PeerSet
	metrics []*Metrics
	urls    []string
	servers []*httptest.Server
}

func newPeerMesh(t *testing.T, n int) *peerMesh {
	m := &peerMesh{}
	for range n {
		m.signers = append(m.signers, signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"})
		m.sets = append(m.sets, &PeerSet{})
		m.metrics = append(m.metrics, NewMetrics("cpu"))
		ts := httptest.NewUnstartedServer(nil)
		m.servers = append(m.servers, ts)
		m.urls = append(m.urls, "http://"+ts.Listener.Addr().String())
	}
	for i, set := range m.sets {
		var others []string
		for j, u := range m.urls {
			if j != i {
				others = append(others, u)
			}
		}
		set.Set(others)
	}
	return m
}

// serve starts sidecar i's weights server over open.
func (m *peerMesh) serve(t *testing.T, i int, open func(string) (*os.File, error)) {
	srv, err := NewWeightsServer(m.urls[i], "aic", open, quiet(), m.metrics[i])
	if err != nil {
		t.Fatal(err)
	}
	bonded := map[string]bool{}
	for _, s := range m.signers {
		bonded[s.Address()] = true
	}
	srv.SetValidators(bonded)
	m.servers[i].Config.Handler = srv.Handler()
	m.servers[i].Start()
	t.Cleanup(m.servers[i].Close)
}

// received is the sidecars that had the weights from a peer.
func (m *peerMesh) received() int {
	var n float64
	for _, mt := range m.metrics {
		n += counted(mt.PeerWeights)
	}
	return int(n)
}

// trickle makes sidecar i hostile: its weights server answers every
// request with a body that never ends, a few bytes at a time.
func (m *peerMesh) trickle(t *testing.T, i int) {
	m.servers[i].Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000000")
		for {
			if _, err := w.Write(make([]byte, 64)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	m.servers[i].Start()
	t.Cleanup(m.servers[i].Close)
}

// counted is a counter's value.
func counted(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
