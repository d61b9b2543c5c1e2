package app

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// peerCtx is the context of a gRPC call from peer 10.x.y.z (i in its last three bytes): one client per i.
func peerCtx(i int) context.Context {
	return peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)), Port: 20000 + i}})
}

// steppedSimulate records the transactions it simulates, in order, and
// returns from each when the test sends on step.
type steppedSimulate struct {
	txtypes.ServiceServer
	step chan struct{}
	mu   sync.Mutex
	ran  [][]byte
}

func (s *steppedSimulate) Simulate(_ context.Context, req *txtypes.SimulateRequest) (*txtypes.SimulateResponse, error) {
	s.mu.Lock()
	s.ran = append(s.ran, req.TxBytes)
	s.mu.Unlock()
	<-s.step
	return &txtypes.SimulateResponse{}, nil
}

// simTx is a transaction of n bytes marked id.
func simTx(id byte, n int) *txtypes.SimulateRequest {
	return &txtypes.SimulateRequest{TxBytes: bytes.Repeat([]byte{id}, n)}
}

// until polls cond for up to 5 s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (q *simQueue) waitingNow() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}

// simulateAsync runs svc.Simulate in a goroutine; its error comes on the
// channel.
func simulateAsync(svc limitedTxService, ctx context.Context, req *txtypes.SimulateRequest) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := svc.Simulate(ctx, req)
		done <- err
	}()
	return done
}

// Waiting simulations run the smallest transaction first, in arrival order
// among equal sizes.
func TestSimulateSmallestFirst(t *testing.T) {
	inner := &steppedSimulate{step: make(chan struct{})}
	svc := newLimitedTxService(inner, broadcastSlots, nil)
	var all []<-chan error
	for i := range simulateSlots {
		all = append(all, simulateAsync(svc, peerCtx(i), simTx('r', 10)))
	}
	until(t, "the slots taken", func() bool { inner.mu.Lock(); defer inner.mu.Unlock(); return len(inner.ran) == simulateSlots })
	queued := []struct {
		id byte
		n  int
	}{{'a', 500}, {'b', 300}, {'c', 100}, {'d', 300}}
	for i, w := range queued {
		all = append(all, simulateAsync(svc, peerCtx(10+i), simTx(w.id, w.n)))
		until(t, "the call queued", func() bool { return svc.sims.waitingNow() == i+1 })
	}
	ran := func() int { inner.mu.Lock(); defer inner.mu.Unlock(); return len(inner.ran) }
	for i := range queued { // one slot freed at a time: the next to run is the one handed it
		inner.step <- struct{}{}
		until(t, "the next call run", func() bool { return ran() == simulateSlots+i+1 })
	}
	for range simulateSlots {
		inner.step <- struct{}{}
	}
	for _, done := range all {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var order []byte
	for _, tx := range inner.ran[simulateSlots:] {
		order = append(order, tx[0])
	}
	if string(order) != "cbda" {
		t.Fatalf("waiting simulations ran in the order %q, want the smallest first (cbda)", order)
	}
}

// A client (a peer address, or all calls with none) has at most
// simulatePerPeer simulations open; past them it is refused at once, and
// others are not.
func TestAttackSimulateOneClientHoldsTheQueue(t *testing.T) {
	inner := &steppedSimulate{step: make(chan struct{})}
	svc := newLimitedTxService(inner, broadcastSlots, nil)
	for _, ctx := range []func() context.Context{func() context.Context { return peerCtx(1) }, context.Background} {
		var open []<-chan error
		for range simulatePerPeer {
			open = append(open, simulateAsync(svc, ctx(), simTx('m', 900)))
		}
		until(t, "the client's calls open", func() bool {
			svc.sims.mu.Lock()
			defer svc.sims.mu.Unlock()
			return svc.sims.open[peerKey(ctx())] == simulatePerPeer
		})
		if _, err := svc.Simulate(ctx(), simTx('m', 900)); status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("a client's simulation past %d open: %v, want ResourceExhausted at once", simulatePerPeer, err)
		}
		other := simulateAsync(svc, peerCtx(2), simTx('h', 10))
		for range open {
			inner.step <- struct{}{}
		}
		inner.step <- struct{}{}
		for _, done := range append(open, other) {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
}

// With simulateMaxWaiting waiting, a call no smaller than every waiter is
// refused at once; a smaller one takes the largest waiter's place, which is
// refused. A waiter whose context ends leaves the queue.
func TestAttackSimulateFillsTheQueue(t *testing.T) {
	inner := &steppedSimulate{step: make(chan struct{})}
	svc := newLimitedTxService(inner, broadcastSlots, nil)
	const n = simulateSlots + simulateMaxWaiting
	results := make(chan error, n)
	for i := range n {
		go func() {
			_, err := svc.Simulate(peerCtx(i), simTx('h', 1000+i%2))
			results <- err
		}()
	}
	until(t, "the queue full", func() bool { return svc.sims.waitingNow() == simulateMaxWaiting })
	if _, err := svc.Simulate(peerCtx(1000), simTx('h', 1001)); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a simulation past %d waiting, none smaller: %v, want ResourceExhausted at once", simulateMaxWaiting, err)
	}
	small := simulateAsync(svc, peerCtx(1001), simTx('s', 10))
	if err := <-results; status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("the waiter a smaller simulation put out of the full queue: %v, want ResourceExhausted", err)
	}
	ctx, cancel := context.WithTimeout(peerCtx(1002), 20*time.Millisecond)
	defer cancel()
	if _, err := svc.Simulate(ctx, simTx('s', 10)); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a waiter whose context ended: %v, want DeadlineExceeded", err)
	}
	// it had put out a waiter too, and left
	if err := <-results; status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("the second waiter put out: %v, want ResourceExhausted", err)
	}
	if got := svc.sims.waitingNow(); got != simulateMaxWaiting-1 {
		t.Fatalf("%d waiting after a waiter left, want %d", got, simulateMaxWaiting-1)
	}
	close(inner.step)
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	for range n - 2 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	svc.sims.mu.Lock()
	defer svc.sims.mu.Unlock()
	if len(svc.sims.open) != 0 || svc.sims.free != simulateSlots || len(svc.sims.waiting) != 0 {
		t.Fatalf("after every call ended: open %v, %d slots free, %d waiting", svc.sims.open, svc.sims.free, len(svc.sims.waiting))
	}
}

// SimulateSlots and SimulatePerPeer are the tx service's bounds on
// simulations.
const (
	SimulateSlots   = simulateSlots
	SimulatePerPeer = simulatePerPeer
)

// TestSimulatePeerKey: simulations count against the caller's IP address,
// whatever its port (a client opening a connection per call is one
// client), an IPv6 caller by its /64, and a call from loopback carrying
// X-Forwarded-For (the node's REST gateway) against the last forwarded
// address; a remote caller's X-Forwarded-For is not believed.
func TestSimulatePeerKey(t *testing.T) {
	from := func(addr string, port int, fwd ...string) context.Context {
		ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(addr), Port: port}})
		if len(fwd) > 0 {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("x-forwarded-for", fwd[0]))
		}
		return ctx
	}
	same := [][2]context.Context{
		{from("203.0.113.7", 1000), from("203.0.113.7", 2000)},
		{from("2001:db8:1:2::1", 1000), from("2001:db8:1:2:ffff::9", 2000)},
		{from("127.0.0.1", 1000, "198.51.100.1, 203.0.113.9"), from("127.0.0.1", 2000, "203.0.113.9")},
		{from("203.0.113.7", 1000, "198.51.100.1"), from("203.0.113.7", 2000)},
	}
	for i, c := range same {
		if a, b := peerKey(c[0]), peerKey(c[1]); a != b {
			t.Errorf("case %d: keys %q and %q, want one client", i, a, b)
		}
	}
	differ := [][2]context.Context{
		{from("203.0.113.7", 1000), from("203.0.113.8", 1000)},
		{from("2001:db8:1:2::1", 1000), from("2001:db8:1:3::1", 1000)},
		{from("127.0.0.1", 1000, "198.51.100.1"), from("127.0.0.1", 1000, "198.51.100.2")},
		{from("127.0.0.1", 1000, "198.51.100.1"), from("127.0.0.1", 1000)},
	}
	for i, c := range differ {
		if a, b := peerKey(c[0]), peerKey(c[1]); a == b {
			t.Errorf("case %d: both %q, want two clients", i, a)
		}
	}
	if got := peerKey(context.Background()); got != "" {
		t.Errorf("no peer: %q, want the shared in-process key", got)
	}
}

// TestSimulateOverABCINeverWaits: a simulation through ABCI Query (it holds
// the ABCI lock) runs only in a slot free now, refused at once
// (ResourceExhausted) while gRPC calls hold every slot, and one over
// abciSimulateMaxBytes is refused (InvalidArgument) without running.
func TestSimulateOverABCINeverWaits(t *testing.T) {
	q := newSimQueue(1)
	ran := 0
	if err := abciSimulation(q, context.Background(), abciSimulateMaxBytes+1, func() { ran++ }); status.Code(err) != codes.InvalidArgument || ran != 0 {
		t.Fatalf("oversized: %v, ran %d", err, ran)
	}
	hold, release := make(chan struct{}), make(chan struct{})
	go func() { _ = q.run(peerCtx(1), 10, func() { close(hold); <-release }) }()
	<-hold
	if err := abciSimulation(q, context.Background(), 10, func() { ran++ }); status.Code(err) != codes.ResourceExhausted || ran != 0 {
		t.Fatalf("with every slot taken: %v, ran %d", err, ran)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := abciSimulation(q, context.Background(), 10, func() { ran++ })
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot never freed: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	if ran != 1 || q.free != 1 || len(q.open) != 0 {
		t.Fatalf("ran %d, free %d, open %v", ran, q.free, q.open)
	}
}
