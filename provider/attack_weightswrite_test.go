package provider

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
)

// TestAttackWeightsTransferCutByTheChunkServersWriteTimeout: hostile
// requester that owns its job's model and takes the weights down after the
// award (economics item 24). Every validator's sidecar then fetches the
// whole weights file from the provider (/v1/models/{sha}) under the fetch
// policy, which lets a body run Timeout (2 min) + its size at AvgRate
// (4 MiB/s): 6.3 minutes for a 1 GiB file. But cmd/aichain-provider serves
// /v1/models on its chunk server, whose http.Server has WriteTimeout 60 s
// (run.go), and serveWeights streams the file under it: a transfer longer
// than 60 s (1 GiB under 17.9 MB/s, i.e. any of the 8 transfers at once on
// an uplink under 1.15 Gbit/s) is cut by the provider itself, the sidecar
// reads an unexpected EOF (a plain error: UNAVAILABLE at that poll, every
// poll) and across unavailable_span_blocks every validator votes the honest
// provider UNAVAILABLE: it forfeits the job's collateral, and the requester
// gets its escrow back holding the result.
//
// Scaled: the server's WriteTimeout 150 ms stands for run.go's 60 s, the
// sidecar's policy Timeout 300 ms for its 2 minutes; the validator reads at
// 64 MiB/s, four times the policy's AvgRate, a 64 MiB file in ~1 s.
func TestAttackWeightsTransferCutByTheChunkServersWriteTimeout(t *testing.T) {
	const size = 64 << 20
	file := bytes.Repeat([]byte("weights!"), size/8)
	sha := workload.SHA256Hex(file)
	_, url, validator := weightsServer(t, file)

	policy := jobexec.FetchPolicy{AllowLocal: true, Timeout: 300 * time.Millisecond, AvgRate: 16 << 20}
	res := getWeights(t, policy.HTTPClient(), url, sha, validator)
	defer res.Body.Close()
	start := time.Now()
	// The validator reads at 64 MiB/s.
	var got bytes.Buffer
	buf := make([]byte, 256<<10)
	for {
		n, err := res.Body.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %v, %d of %d bytes at 4× the fetch policy's average rate: %v: the provider's own chunk server cut its weights transfer (WriteTimeout), and the validator votes it UNAVAILABLE",
				time.Since(start).Round(time.Millisecond), got.Len(), size, err)
		}
		if ahead := time.Duration(got.Len())*time.Second/(64<<20) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
	}
	if got.Len() != size || workload.SHA256Hex(got.Bytes()) != sha {
		t.Fatalf("%d bytes, not the weights", got.Len())
	}
}

// TestAttackStalledWeightsReaderIsDroppedAndItsSlotFreed: with the write
// deadline pushed as the transfer goes (above), a validator that stops
// reading is still dropped after weightsStall and its transfer slot freed;
// it does not hold one until the transfer's whole send time.
func TestAttackStalledWeightsReaderIsDroppedAndItsSlotFreed(t *testing.T) {
	old := weightsStall
	weightsStall = 200 * time.Millisecond
	t.Cleanup(func() { weightsStall = old })
	file := bytes.Repeat([]byte("weights!"), (64<<20)/8)
	sha := workload.SHA256Hex(file)
	a, url, validator := weightsServer(t, file)

	// A plain client: a fetch policy's own minimum rate would cut the
	// stalled body itself.
	res := getWeights(t, &http.Client{}, url, sha, validator)
	defer res.Body.Close()
	if a.weightSlots().InFlight() != 1 {
		t.Fatalf("%d transfers in flight, want 1", a.weightSlots().InFlight())
	}
	deadline := time.Now().Add(10 * time.Second) // far past weightsStall
	for a.weightSlots().InFlight() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a validator that reads nothing still holds its weights transfer slot")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := io.Copy(io.Discard, res.Body); err == nil {
		t.Fatalf("the stalled transfer ended cleanly after %d bytes; want it cut", n)
	}
}

// weightsServer is an agent whose chunk server holds file in its weights
// cache, with cmd/aichain-provider's server timeouts scaled down (a
// WriteTimeout of 150 ms for its 60 s), and a validator it serves.
// scaledSendBufferListener gives every connection it accepts a send buffer
// of 128 KiB (the kernel doubles it), scaled as the weights tests scale
// their Grace: on loopback the agent's buffer grows to about 4 MiB, which
// it counts as sent at once, more than a whole scaled quantum at the fast
// rate (3 MiB), where on a real link 4 MiB is a fifteenth of a 20 s
// quantum at that rate (found by review of 6b5174b).
type scaledSendBufferListener struct{ net.Listener }

func (l scaledSendBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(128 << 10)
	}
	return c, err
}

func weightsServer(t *testing.T, file []byte) (*Agent, string, signedreq.Signer) {
	t.Helper()
	sha := workload.SHA256Hex(file)
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "models", sha+".safetensors"), file, 0o644); err != nil {
		t.Fatal(err)
	}
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{CacheDir: cache})

	hs := httptest.NewUnstartedServer(nil)
	hs.Listener = scaledSendBufferListener{hs.Listener}
	url := "http://" + hs.Listener.Addr().String()
	a := &Agent{cfg: Config{Endpoint: url, Weights: resolver.OpenCachedWeights}, chunks: NewChunkStore(t.TempDir(), 1<<20),
		metrics: NewMetrics(), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	a.auth = newAuthorizer(a, "aic")
	a.auth.addJob(&Record{ID: 1, Phase: PhaseSubmitted, ModelSha: sha}) // a job under verification ran the model
	validator := signer()
	a.auth.setValidators(map[string]bool{validator.Address(): true})
	hs.Config.Handler = a.Handler()
	// run.go's chunk server: ReadHeaderTimeout 5 s, ReadTimeout 10 s,
	// WriteTimeout 60 s (scaled).
	hs.Config.ReadHeaderTimeout, hs.Config.ReadTimeout, hs.Config.WriteTimeout = time.Second, time.Second, 150*time.Millisecond
	hs.Start()
	t.Cleanup(hs.Close)
	return a, url, validator
}

func getWeights(t *testing.T, client *http.Client, url, sha string, validator signedreq.Signer) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/models/"+sha, nil)
	if err := signedreq.Sign(req, validator, url, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		t.Fatalf("status %d", res.StatusCode)
	}
	return res
}

// TestAttackSlowWeightsReaderFallsBehindThePace: a validator that takes a
// weights transfer just fast enough for the stall rule (64 KiB at a time)
// held its slot for the transfer's whole send time (6.3 minutes for
// 1 GiB), and four validators held all 8: no honest validator had the
// weights of a taken-down model from the provider, nor then from any
// sidecar. Now a reader that falls behind weightsPace (here 16 MiB/s after
// 200 ms) is dropped and its slot freed.
func TestAttackSlowWeightsReaderFallsBehindThePace(t *testing.T) {
	old := weightsPace
	weightsPace = dataserver.Pace{Grace: 200 * time.Millisecond, Rate: 16 << 20}
	t.Cleanup(func() { weightsPace = old })
	file := bytes.Repeat([]byte("weights!"), (64<<20)/8)
	sha := workload.SHA256Hex(file)
	a, url, validator := weightsServer(t, file)
	res := getWeights(t, &http.Client{}, url, sha, validator)
	stop := make(chan struct{})
	read := make(chan int, 1)
	go func() { // 640 KiB/s: far under the pace, far over the stall rule
		buf, n := make([]byte, 64<<10), 0
		defer func() { read <- n }()
		for {
			m, err := io.ReadFull(res.Body, buf)
			if n += m; err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); res.Body.Close(); <-read }()
	for deadline := time.Now().Add(5 * time.Second); a.weightSlots().InFlight() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a reader at 640 KiB/s, under the pace, still holds its transfer slot")
		}
	}
}
