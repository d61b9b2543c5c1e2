package app

import (
	"container/heap"
	"context"
	"net"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// simulateSlots is how many Simulate calls may run at once: two, in a pool
// of their own. A simulation runs a whole transaction (ante and messages)
// and competes for a core as a broadcast does, so it is bounded too
// (TestAttackSimulateFloodUnboundedApp); but it is free (no fee, no valid
// signature), and in the broadcasts' pool a flood of simulations would keep
// every transaction from being broadcast through the node
// (TestAttackSimulateFloodBlocksBroadcastsApp).
const simulateSlots = 2

// simulatePerPeer is how many Simulate calls one gRPC peer address may have
// open (running or waiting), and simulateMaxWaiting how many may wait in
// all. With one slot served in arrival order and no bounds, one client
// holding 24 heavy simulations open (871 KB each, ~0.7 s to the gas cap)
// kept another's 19 ms simulation of one send waiting past 5 s, and wallets
// and the provider agent simulate before every send
// (TestAttackSimulateQueueStarvesHonestSenders). Past either bound a call is
// refused at once (codes.ResourceExhausted), not queued.
const (
	simulatePerPeer    = 2
	simulateMaxWaiting = 64
)

// simQueue hands simulateSlots slots to Simulate calls, the smallest waiting
// transaction first (in arrival order among equal sizes): a simulation's
// cost grows with its transaction, so a flood of heavy ones delays a small
// one by at most the calls already running. When simulateMaxWaiting wait, a
// smaller newcomer takes the place of the largest waiter, which is refused:
// a full queue of heavy calls cannot shut out a light one either.
type simQueue struct {
	mu      sync.Mutex
	free    int
	waiting simWaiters
	arrived uint64
	open    map[string]int // running or waiting, by peer address
}

// simWaiter is a Simulate call waiting for a slot.
type simWaiter struct {
	size    int
	arrival uint64
	peer    string
	index   int           // in waiting; -1 once out of it
	ready   chan struct{} // closed with a slot handed over
	refused bool          // put out of a full queue by a smaller call
}

func newSimQueue(slots int) *simQueue {
	return &simQueue{free: slots, open: make(map[string]int)}
}

// peerKey is who a Simulate call counts against: its peer's IP address
// (not its port: each connection has its own, and a client would open one
// per call), an IPv6 address by its /64 (what one host is routed); for a
// call from loopback, the node's own REST gateway, which forwards every
// REST user over one connection, the last address of the X-Forwarded-For
// it appends (TestSimulatePeerKey). Calls with no peer (in-process) share
// one key.
func peerKey(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		host = p.Addr.String()
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.IsLoopback() {
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			if fwd := md.Get("x-forwarded-for"); len(fwd) > 0 {
				hops := strings.Split(fwd[len(fwd)-1], ",")
				if last := strings.TrimSpace(hops[len(hops)-1]); last != "" {
					return "forwarded " + ipKey(net.ParseIP(last), last)
				}
			}
		}
	}
	return ipKey(ip, host)
}

// ipKey is an address's key: an IPv4 address itself, an IPv6 address its
// /64; text that is no address, itself.
func ipKey(ip net.IP, text string) string {
	switch {
	case ip == nil:
		return text
	case ip.To4() != nil:
		return ip.String()
	default:
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
}

// run waits for a slot for a transaction of size bytes (or ctx's end, or a
// refusal) and runs f in it.
func (q *simQueue) run(ctx context.Context, size int, f func()) error {
	key := peerKey(ctx)
	w, err := q.enter(key, size)
	if err != nil {
		return err
	}
	if w != nil {
		select {
		case <-w.ready:
		case <-ctx.Done():
			if !q.leave(w) { // a slot was handed over meanwhile, or a refusal
				<-w.ready
				if !w.refused {
					q.release(key)
				}
			}
			return status.FromContextError(ctx.Err()).Err()
		}
		if w.refused {
			return status.Errorf(codes.ResourceExhausted,
				"simulation of %d bytes put out of the node's full queue (%d waiting) by a smaller one", size, simulateMaxWaiting)
		}
	}
	defer q.release(key)
	f()
	return nil
}

// abciSimulateMaxBytes is the largest transaction simulated through ABCI
// Query (256 KiB: a wallet's or the CLI's transaction is a few KiB, and the
// Go relayer, which simulates only this way, sends an IBC client update of
// a counterparty with ~200 validators and a batch of packets with proofs in
// ~55-70 KB, with room to spare): such a simulation holds the ABCI lock
// that CheckTx and the consensus steps need, and one of 871 KB ran 109-169
// ms to the gas cap. A larger one is simulated over the node's gRPC tx
// service, outside the lock.
const abciSimulateMaxBytes = 256 << 10

// abciSimulation runs f, a simulation through ABCI Query of a transaction
// of size bytes, in a slot of q that is free now, and refuses otherwise: a
// transaction over abciSimulateMaxBytes (InvalidArgument), or every slot
// taken or waited for (ResourceExhausted): waiting would hold the ABCI lock
// for as long as the simulations ahead run. Such calls count against one
// client key, "abci".
func abciSimulation(q *simQueue, _ context.Context, size int, f func()) error {
	if size > abciSimulateMaxBytes {
		return status.Errorf(codes.InvalidArgument,
			"a simulation through abci_query takes a transaction of at most %d bytes, not %d: simulate over the node's gRPC tx service",
			abciSimulateMaxBytes, size)
	}
	const key = "abci"
	q.mu.Lock()
	if q.free == 0 || len(q.waiting) > 0 || q.open[key] >= simulatePerPeer {
		q.mu.Unlock()
		return status.Error(codes.ResourceExhausted,
			"every simulation slot of the node is taken: simulate over its gRPC tx service, or try again")
	}
	q.free--
	q.open[key]++
	q.mu.Unlock()
	defer q.release(key)
	f()
	return nil
}

// enter takes a slot (nil waiter) or a place in the queue, or refuses.
func (q *simQueue) enter(key string, size int) (*simWaiter, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.open[key] >= simulatePerPeer {
		return nil, status.Errorf(codes.ResourceExhausted,
			"%d simulations of this client are open on the node, at most %d", q.open[key], simulatePerPeer)
	}
	if q.free > 0 && len(q.waiting) == 0 {
		q.free--
		q.open[key]++
		return nil, nil
	}
	if len(q.waiting) >= simulateMaxWaiting {
		largest := q.waiting.largest()
		if largest.size <= size {
			return nil, status.Errorf(codes.ResourceExhausted,
				"%d simulations wait on the node, at most %d; none larger than this one (%d bytes)", len(q.waiting), simulateMaxWaiting, size)
		}
		heap.Remove(&q.waiting, largest.index)
		q.drop(largest.peer)
		largest.refused = true
		close(largest.ready)
	}
	q.arrived++
	w := &simWaiter{size: size, arrival: q.arrived, peer: key, ready: make(chan struct{})}
	heap.Push(&q.waiting, w)
	q.open[key]++
	return w, nil
}

// leave takes w out of the queue after its context ended; false if it was
// out already (a slot handed over, or refused).
func (q *simQueue) leave(w *simWaiter) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.index < 0 {
		return false
	}
	heap.Remove(&q.waiting, w.index)
	q.drop(w.peer)
	return true
}

// release ends a call of key's in a slot, and hands the slot to the
// smallest waiter.
func (q *simQueue) release(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.drop(key)
	if len(q.waiting) == 0 {
		q.free++
		return
	}
	close(heap.Pop(&q.waiting).(*simWaiter).ready)
}

func (q *simQueue) drop(key string) {
	if q.open[key]--; q.open[key] <= 0 {
		delete(q.open, key)
	}
}

// simWaiters is a heap of waiters, the smallest transaction (then the
// earliest) on top.
type simWaiters []*simWaiter

func (h simWaiters) Len() int { return len(h) }
func (h simWaiters) Less(i, j int) bool {
	if h[i].size != h[j].size {
		return h[i].size < h[j].size
	}
	return h[i].arrival < h[j].arrival
}

func (h simWaiters) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *simWaiters) Push(x any) {
	w := x.(*simWaiter)
	w.index = len(*h)
	*h = append(*h, w)
}

func (h *simWaiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.index = -1
	return w
}

// largest is the waiter of the largest transaction, the latest among
// equals (at most simulateMaxWaiting to look at).
func (h simWaiters) largest() *simWaiter {
	l := h[0]
	for _, w := range h[1:] {
		if w.size > l.size || (w.size == l.size && w.arrival > l.arrival) {
			l = w
		}
	}
	return l
}
