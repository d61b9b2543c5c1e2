package sidecar

// Attacks on the peer walk (peerwalk.go) and the peers read (peers.go),
// found by review of the peer path (2026-12-06).

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/query"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// heldFiles is a weights server's open over several files: their bytes and
// sha256s, in order.
func heldFiles(t *testing.T, sizes ...int) ([][]byte, []string, func(string) (*os.File, error)) {
	t.Helper()
	dir := t.TempDir()
	var files [][]byte
	var shas []string
	for i, n := range sizes {
		data := bytes.Repeat([]byte(fmt.Sprintf("weights%d", i)), n)
		sha := workload.SHA256Hex(data)
		if err := os.WriteFile(filepath.Join(dir, sha), data, 0o600); err != nil {
			t.Fatal(err)
		}
		files, shas = append(files, data), append(shas, sha)
	}
	return files, shas, func(s string) (*os.File, error) {
		for _, sha := range shas {
			if s == sha {
				return os.Open(filepath.Join(dir, sha))
			}
		}
		return nil, os.ErrNotExist
	}
}

// delayedPeer is a weights server (serving the given signer) whose answers
// each start after delay: a transfer that takes that long.
func delayedPeer(t *testing.T, open func(string) (*os.File, error), delay time.Duration, v *Verifier) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	srv, err := NewWeightsServer("http://"+ts.Listener.Addr().String(), "aic", open, quiet(), NewMetrics("cpu"))
	if err != nil {
		t.Fatal(err)
	}
	srv.SetValidators(map[string]bool{v.cfg.Signer.Address(): true})
	h := srv.Handler()
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		h.ServeHTTP(w, r)
	})
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func walksHeld(v *Verifier) (n int, bytes int) {
	v.walkMu.Lock()
	defer v.walkMu.Unlock()
	for _, w := range v.walks {
		select {
		case <-w.done:
			bytes += len(w.data.Bytes())
		default:
		}
	}
	return len(v.walks), bytes
}

// TestAttackFinishedWalkNobodyTakesHoldsItsSlotForEver: a walk that gets
// the weights after the last check that asked for them returned (the job
// then got its verdict, left the pending list, its window ended, or the
// model's uri came back) stays in v.walks with its weights for ever: only
// take removes a finished walk, and no check asks again. Each holds a copy
// of up to MaxWeightsBytes, and counts against maxWalksPerWorker × Workers:
// after Workers of them (2 by default) walkFor returns nil for every other
// sha256, and this sidecar never asks a peer again. A requester that owns
// two models takes them down under two cheap jobs (or it just happens at
// the end of any taken-down model's span: the sidecars still walking when
// the job settles), then takes down the model of the job it wants the
// honest provider slashed on: these sidecars ask its provider only, as
// before the fix.
func TestAttackFinishedWalkNobodyTakesHoldsItsSlotForEver(t *testing.T) {
	old := peerIdle
	peerIdle = 300 * time.Millisecond // any idle clean-up has long run by the end
	t.Cleanup(func() { peerIdle = old })
	_, shas, open := heldFiles(t, 4096, 4096, 4096)
	gone := httptest.NewServer(http.NotFoundHandler()) // the providers hold no weights
	t.Cleanup(gone.Close)

	v := peerVerifier()
	peer := delayedPeer(t, open, 50*time.Millisecond, v)
	v.cfg.Peers.Set([]string{peer.URL})
	// Two checks, one per taken-down model, each the last of its job: the
	// provider fails them before the peer has answered.
	for _, sha := range shas[:2] {
		if _, err := mirrorFetch(context.Background(), v, gone.URL, sha); err == nil {
			t.Fatal("the peer answered before the provider failed: the set-up needs a slower peer")
		}
	}
	time.Sleep(4 * peerIdle)
	n, held := walksHeld(v)
	t.Logf("after %s with no check asking: %d walks in v.walks holding %d bytes", 4*peerIdle, n, held)

	// The third model, the one the attack is about: a peer holds it.
	data, err := untilFetched(t, v, gone.URL, shas[2], 2*time.Second)
	if err != nil || len(data) == 0 {
		t.Fatalf("a peer holds the weights but every fetch failed with the provider's error (%v): "+
			"%d finished walks nobody took hold the walk slots (and %d bytes) for ever", err, n, held)
	}
	if n, held := walksHeld(v); n != 0 || held != 0 {
		t.Fatalf("%d walks (%d bytes) left that no check will ever take", n, held)
	}
	if b := len(v.peerBodies); b != 0 {
		t.Fatalf("%d of the body budget's %d shares still held by weights nobody will take", b, cap(v.peerBodies))
	}
}

// TestAttackJunkFromAnotherJobsProviderStopsTheWalk: walks are shared by
// sha256 across jobs, but weightsFrom stops the walk on any 200 body of the
// provider's (err == nil from readWeights), before the resolver checks it
// against the sha256. A requester that owns the model runs a second job on
// it with a colluding provider that answers GET /v1/models/{sha} with 200
// and an empty body: each of that job's checks (every poll, across its
// span) cancels the walk the honest provider's job relies on, so no walk
// lives long enough to bring the weights, and the honest provider is voted
// UNAVAILABLE as if there were no peers.
func TestAttackJunkFromAnotherJobsProviderStopsTheWalk(t *testing.T) {
	_, shas, open := heldFiles(t, 4096)
	sha := shas[0]
	honest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "0") // every slot sending to other validators
		http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(honest.Close)
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK) // nothing: not the weights
	}))
	t.Cleanup(junk.Close)

	run := func(withJunkJob bool) error {
		v := peerVerifier()
		peer := delayedPeer(t, open, 150*time.Millisecond, v) // a transfer that takes a while
		v.cfg.Peers.Set([]string{peer.URL})
		deadline := time.Now().Add(2 * time.Second)
		for {
			_, err := mirrorFetch(context.Background(), v, honest.URL, sha) // the honest provider's job
			if err == nil {
				return nil
			}
			if time.Now().After(deadline) {
				return err
			}
			if withJunkJob {
				if _, err := mirrorFetch(context.Background(), v, junk.URL, sha); err == nil {
					return fmt.Errorf("junk accepted as the weights")
				}
			}
			time.Sleep(30 * time.Millisecond)
		}
	}
	if err := run(false); err != nil {
		t.Fatalf("control, the honest job alone: %v", err)
	}
	if err := run(true); err != nil {
		t.Fatalf("with another job on the same model whose provider answers an empty 200, the honest job's check never had the weights from the peer that holds them: %v", err)
	}
}

// TestAttackWalkIdlesOutMidTransfer: peerIdle (30 s) is shorter than
// PeerTransferTimeout (74 s by default for 1 GiB), and a walk's asked time
// is set only when a check starts or joins it, not while a check waits on
// the provider beside it. A check whose provider transfer runs long (its
// uplink shared by eight transfers) has its walk end idle in the middle of
// a peer's transfer that was within its timeout: the peer's weights never
// cancel the provider transfer (whose slot stays taken from the validators
// no peer served), and the walk is started from zero at the next check.
// Scaled: peerIdle 150 ms, a peer sending the weights in 400 ms, a
// provider sending them in 3 s.
func TestAttackWalkIdlesOutMidTransfer(t *testing.T) {
	old := peerIdle
	peerIdle = 150 * time.Millisecond
	t.Cleanup(func() { peerIdle = old })
	files, shas, open := heldFiles(t, 4096)
	data, sha := files[0], shas[0]
	var provSent atomic.Bool
	prov := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		piece := len(data) / 30
		for off := 0; off < len(data); off += piece {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			_, _ = w.Write(data[off:min(off+piece, len(data))])
			w.(http.Flusher).Flush()
		}
		provSent.Store(true)
	}))
	t.Cleanup(prov.Close)

	v := peerVerifier()
	v.cfg.PeerTransferTimeout = 2 * time.Second
	peer := delayedPeer(t, open, 400*time.Millisecond, v)
	v.cfg.Peers.Set([]string{peer.URL})
	start := time.Now()
	got, err := mirrorFetch(context.Background(), v, prov.URL, sha)
	took := time.Since(start)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%d bytes, err %v", len(got), err)
	}
	if provSent.Load() || took > 1500*time.Millisecond {
		t.Fatalf("a peer sends the weights in 400 ms, within PeerTransferTimeout (2 s), but the walk ended idle (peerIdle %s) while the check waited: "+
			"the check took %s, the provider's whole transfer (sent to the end: %v)", peerIdle, took.Round(time.Millisecond), provSent.Load())
	}
}

// TestAttackPeerAbortingBeforeTheTimeoutIsAskedAgain: a hostile peer that
// trickles the weights and drops the connection just before
// PeerTransferTimeout is not "late" (pctx not yet done) and sent no bytes
// that failed the digest, so order.drop is never called: it takes a body
// slot for ~PeerTransferTimeout at every pass over the peers, not once as
// lane's comment promises. The same holds for a peer that sends
// MaxWeightsBytes+1 bytes (a read of up to 1 GiB each pass) or any other
// error after the headers.
func TestAttackPeerAbortingBeforeTheTimeoutIsAskedAgain(t *testing.T) {
	_, shas, _ := heldFiles(t, 4096)
	const timeout = 300 * time.Millisecond
	var first atomic.Int64 // when it was first asked (unix ns)
	var after atomic.Int32 // asks after its first transfer was cut
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().UnixNano()
		first.CompareAndSwap(0, now)
		if time.Duration(now-first.Load()) > timeout*9/10 {
			after.Add(1)
		}
		w.Header().Set("Content-Length", "1000000")
		stop := time.After(timeout * 8 / 10)
		for {
			_, _ = w.Write([]byte{0})
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-stop:
				panic(http.ErrAbortHandler) // the connection reset, just before the timeout
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	t.Cleanup(trickle.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)

	v := peerVerifier(trickle.URL)
	v.cfg.PeerTransferTimeout = timeout
	_, _ = untilFetched(t, v, gone.URL, shas[0], 6*timeout)
	if n := after.Load(); n > 0 {
		t.Fatalf("a peer that trickled for 0.8 × PeerTransferTimeout, sent nothing usable and cut the transfer was asked %d more times by the same walk (want none)", n)
	}
}

// fakeChain answers the queries ChainPeers may send: bonded validators,
// a validator's verifier endpoint, and the endpoints, 200 a page.
type fakeChain struct {
	bonded    []string // operator addresses
	endpoints []computetypes.VerifierEndpoint
}

func (c *fakeChain) Invoke(_ context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	switch method {
	case "/cosmos.staking.v1beta1.Query/Validators":
		res := reply.(*stakingtypes.QueryValidatorsResponse)
		for _, op := range c.bonded {
			res.Validators = append(res.Validators, stakingtypes.Validator{OperatorAddress: op})
		}
		res.Pagination = &query.PageResponse{}
		return nil
	case "/aichain.compute.v1.Query/VerifierEndpoint":
		req, res := args.(*computetypes.QueryVerifierEndpointRequest), reply.(*computetypes.QueryVerifierEndpointResponse)
		for _, e := range c.endpoints {
			if e.ValidatorAddress == req.ValidatorAddress {
				res.Endpoint = e
				return nil
			}
		}
		return status.Error(codes.NotFound, "no endpoint")
	case "/aichain.compute.v1.Query/VerifierEndpoints":
		req, res := args.(*computetypes.QueryVerifierEndpointsRequest), reply.(*computetypes.QueryVerifierEndpointsResponse)
		from := 0
		if req.Pagination != nil && len(req.Pagination.Key) > 0 {
			fmt.Sscan(string(req.Pagination.Key), &from)
		}
		to := min(from+int(req.Pagination.Limit), len(c.endpoints))
		res.Endpoints = c.endpoints[from:to]
		res.Pagination = &query.PageResponse{}
		if to < len(c.endpoints) {
			res.Pagination.NextKey = []byte(fmt.Sprint(to))
		}
		return nil
	}
	return fmt.Errorf("unexpected %s", method)
}

func (c *fakeChain) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, fmt.Errorf("no streams")
}

// TestAttackUnbondedEndpointsStopEverySidecarReadingItsPeers: any validator
// x/staking knows, bonded or not, may set a verifier endpoint, and no entry
// is ever removed (not when its validator is). ChainPeers reads every entry
// and fails past bonded.MaxPages × 200 = 10 000 of them: a party that
// creates 10 001 validators (1 unit of self-delegation each, never bonded)
// and sets their endpoints makes every sidecar's read fail for good. A
// running sidecar keeps its last sets (stale: validators bonded since are
// refused by its weights server), and one started after has no peers and
// its weights server serves nobody.
func TestAttackUnbondedEndpointsStopEverySidecarReadingItsPeers(t *testing.T) {
	valoper := func(i int) (string, string) {
		bz := make([]byte, 20)
		bz[0], bz[1], bz[2] = 0xff, byte(i>>8), byte(i)
		op, _ := bech32.ConvertAndEncode("aicvaloper", bz)
		acc, _ := bech32.ConvertAndEncode("aic", bz)
		return op, acc
	}
	chain := &fakeChain{}
	var self string
	for i := range 3 {
		op, acc := valoper(i)
		chain.bonded = append(chain.bonded, op)
		chain.endpoints = append(chain.endpoints, computetypes.VerifierEndpoint{ValidatorAddress: op, Endpoint: fmt.Sprintf("https://v%d.example", i)})
		if i == 0 {
			self = acc
		}
	}
	for i := range 10_001 { // never bonded: only their creation's cost
		bz := make([]byte, 20)
		bz[0], bz[1], bz[2] = 0x01, byte(i>>8), byte(i)
		op, _ := bech32.ConvertAndEncode("aicvaloper", bz)
		chain.endpoints = append(chain.endpoints, computetypes.VerifierEndpoint{ValidatorAddress: op, Endpoint: "https://junk.example"})
	}
	srv, err := NewWeightsServer("https://v0.example", "aic", nil, quiet(), NewMetrics("cpu"))
	if err != nil {
		t.Fatal(err)
	}
	peers := &PeerSet{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { RefreshPeers(ctx, ChainPeers(chain, "aic"), self, srv, peers, time.Hour, quiet()); close(done) }()
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	srv.mu.RLock()
	served := len(srv.validators)
	srv.mu.RUnlock()
	if got := peers.Endpoints(); len(got) != 2 || served != 3 {
		t.Fatalf("a freshly started sidecar has peers %v (want the 2 other bonded validators') and serves %d validators (want 3)", got, served)
	}
}

// TestAttackWithheldModelsTakeEveryWalkSlot: a sidecar walks at most
// maxWalksPerWorker × Workers = 2 sha256s at once, whatever the walk costs;
// a walk whose weights no peer holds costs nothing but 404s, yet holds its
// slot for as long as checks ask (every poll). A requester that owns two
// models nobody else holds runs a job on each with a colluding provider that
// answers their weights busy for the span (and sends them at its end: its
// jobs are VALID, its collateral safe). Every honest sidecar's walk slots
// are then theirs, and the job on the third model, whose weights the peers
// hold, is fetched from its honest provider only: voted UNAVAILABLE as
// before the fix.
func TestAttackWithheldModelsTakeEveryWalkSlot(t *testing.T) {
	_, shas, open := heldFiles(t, 4096)
	target := shas[0]
	withheld := []string{strings.Repeat("1", 64), strings.Repeat("2", 64)} // models only the requester holds
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(busy.Close) // the honest provider (all its slots taken) and the colluding one alike

	run := func(withWithheld bool) error {
		v := peerVerifier()
		peer := delayedPeer(t, open, 0, v)
		v.cfg.Peers.Set([]string{peer.URL})
		deadline := time.Now().Add(2 * time.Second)
		for {
			if withWithheld { // the colluding provider's jobs are checked first: fresh
				for _, sha := range withheld {
					_, _ = mirrorFetch(context.Background(), v, busy.URL, sha)
				}
			}
			_, err := mirrorFetch(context.Background(), v, busy.URL, target)
			if err == nil {
				return nil
			}
			if time.Now().After(deadline) {
				return err
			}
			time.Sleep(30 * time.Millisecond)
		}
	}
	if err := run(false); err != nil {
		t.Fatalf("control, the target job alone: %v", err)
	}
	if err := run(true); err != nil {
		t.Fatalf("two withheld models' walks hold every walk slot: the target job's check never asked the peer that holds its weights: %v", err)
	}
}
