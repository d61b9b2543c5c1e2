package sidecar

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/workload/merkle"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

var spec = computetypes.WorkloadSpec{
	Kind: workload.KindGemm, Gemm: &computetypes.GemmSpec{M: 24, N: 16, K: 8, Seed: 3}, ChunkRows: 4,
}

// provider serves a job's chunks as the provider agent does; corrupt flips a
// bit of one chunk before the tree is built (a consistent but wrong result).
func provider(t *testing.T, corrupt int) (*httptest.Server, merkle.Hash, int) {
	t.Helper()
	job, err := jobexec.FromSpec(context.Background(), spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := workload.ComputeChunks(context.Background(), job, cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	if corrupt >= 0 {
		chunks[corrupt][3] ^= 0x80
	}
	tree, err := merkle.New(chunks)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/")
		i, _ := strconv.Atoi(parts[len(parts)-1])
		resp, err := jobexec.NewChunkResponse(7, tree, i, chunks[i])
		if err != nil {
			http.Error(w, err.Error(), 404)
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, tree.Root(), len(chunks)
}

// staticSource lists its jobs at height 1.
type staticSource []computetypes.PendingVerification

func (s staticSource) PendingVerifications(context.Context) (Pending, error) {
	return Pending{Height: 1, Jobs: s}, nil
}

// testConfig is a sidecar on a local network, signing with a validator's
// operator key.
func testConfig() Config {
	return Config{FetchTimeout: 300 * time.Millisecond, FetchRetries: 2, RetryBackoff: 10 * time.Millisecond,
		Signer: signedreq.PrivKeySigner{Key: secp256k1.GenPrivKey(), Prefix: "aic"}, Fetch: jobexec.FetchPolicy{AllowLocal: true}}
}

func newVerifier(src PendingSource) *Verifier {
	return New(testConfig(), src, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
}

func pending(endpoint string, root merkle.Hash, n int, indices ...uint64) computetypes.PendingVerification {
	return computetypes.PendingVerification{
		JobId: 7, Workload: spec, Indices: indices, OutputRoot: root[:], ChunkCount: uint64(n),
		ProviderEndpoint: endpoint, VerificationEnd: 1_000, UnavailableSpanBlocks: 3,
	}
}

func TestVerdicts(t *testing.T) {
	honest, root, n := provider(t, -1)
	cheat, cheatRoot, _ := provider(t, 2)

	v := newVerifier(nil)
	ctx := context.Background()
	if got, why := v.Verify(ctx, pending(honest.URL, root, n, 0, 3, 5)); got != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("honest provider: %v (%s)", got, why)
	}
	// The corrupted chunk carries a valid proof against the cheat's root, but
	// its recomputation differs.
	if got, why := v.Verify(ctx, pending(cheat.URL, cheatRoot, n, 1, 2)); got != computetypes.Verdict_VERDICT_INVALID {
		t.Fatalf("corrupted chunk: %v (%s)", got, why)
	}
	// Unsampled corruption goes unseen: that is what the sample rate prices.
	if got, _ := v.Verify(ctx, pending(cheat.URL, cheatRoot, n, 0, 1)); got != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("unsampled corruption: %v", got)
	}
	// A proof against another root does not verify: the provider did not serve a valid proof.
	if got, _ := v.Verify(ctx, pending(honest.URL, cheatRoot, n, 0)); got != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("proof against the wrong root: %v", got)
	}
	// Nobody listening.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	if got, _ := v.Verify(ctx, pending(down.URL, root, n, 0)); got != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("provider down: %v", got)
	}
	// Too slow.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}))
	defer slow.Close()
	if got, _ := v.Verify(ctx, pending(slow.URL, root, n, 0)); got != computetypes.Verdict_VERDICT_UNAVAILABLE {
		t.Fatalf("slow provider: %v", got)
	}
}

func TestRunKeepsVerdictsOfPendingJobsOnly(t *testing.T) {
	honest, root, n := provider(t, -1)
	src := staticSource{pending(honest.URL, root, n, 1)}
	v := newVerifier(src)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { v.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(v.Ready(1)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ready := v.Ready(1)
	if len(ready) != 1 || ready[0].JobId != 7 || ready[0].Verdict != computetypes.Verdict_VERDICT_VALID {
		t.Fatalf("ready verdicts %v, want job 7 VALID", ready)
	}
	cancel()
	<-done
	// Once the job is no longer pending, its verdict is dropped.
	v.source = staticSource{}
	if err := v.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := v.Ready(1); len(got) != 0 {
		t.Fatalf("verdicts of a finished job still served: %v", got)
	}
}

// A sidecar signs every chunk request for the provider's endpoint, and one
// without a key abstains rather than call a provider UNAVAILABLE; off a
// local network it does not reach a loopback endpoint at all.
func TestSignedRequestsAndLocalAddresses(t *testing.T) {
	honest, root, n := provider(t, -1)
	var signed bool
	check := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signed = r.Header.Get(signedreq.HeaderSignature) != "" && r.Header.Get(signedreq.HeaderAudience) != ""
		http.Redirect(w, r, honest.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer check.Close()
	ctx := context.Background()
	v := newVerifier(nil)
	if _, _ = v.Verify(ctx, pending(check.URL, root, n, 0)); !signed {
		t.Fatal("the chunk request was not signed")
	}
	cfg := testConfig()
	cfg.Signer = nil
	noKey := New(cfg, nil, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
	if got, _ := noKey.Verify(ctx, pending(honest.URL, root, n, 0)); got != computetypes.Verdict_VERDICT_UNSPECIFIED {
		t.Fatalf("sidecar without a key: %v", got)
	}
	cfg = testConfig()
	cfg.Fetch.AllowLocal = false
	public := New(cfg, nil, cpu.New(), slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics("cpu"))
	if got, why := public.Verify(ctx, pending(honest.URL, root, n, 0)); got != computetypes.Verdict_VERDICT_UNAVAILABLE || !strings.Contains(why, "not allowed") {
		t.Fatalf("loopback endpoint off a local network: %v (%s)", got, why)
	}
}
