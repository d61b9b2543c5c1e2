package app

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// slowBroadcast is a tx service whose BroadcastTx holds until release is
// closed, counting the calls inside it at once.
type slowBroadcast struct {
	txtypes.UnimplementedServiceServer
	release      chan struct{}
	inside, peak atomic.Int32
	calls        atomic.Int32
}

func (s *slowBroadcast) BroadcastTx(context.Context, *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	s.calls.Add(1)
	n := s.inside.Add(1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	<-s.release
	s.inside.Add(-1)
	return &txtypes.BroadcastTxResponse{}, nil
}

// A client opens many broadcasts at once to make every consensus step of
// the node queue behind their CheckTx calls: only broadcastSlots of them
// reach CheckTx at a time, the rest wait without holding the app's lock,
// and every call is still answered.
func TestAttackBroadcastFloodBounded(t *testing.T) {
	inner := &slowBroadcast{release: make(chan struct{})}
	svc := newLimitedTxService(inner, broadcastSlots, nil)
	const flood = 5 * broadcastSlots
	var wg sync.WaitGroup
	for range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.BroadcastTx(context.Background(), &txtypes.BroadcastTxRequest{}); err != nil {
				t.Error(err)
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for inner.inside.Load() < broadcastSlots && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // room for any call past the limit to get in
	if got := inner.inside.Load(); got != broadcastSlots {
		t.Fatalf("%d broadcasts checking at once, want %d", got, broadcastSlots)
	}
	close(inner.release)
	wg.Wait()
	if inner.peak.Load() != broadcastSlots || inner.calls.Load() != flood {
		t.Fatalf("peak %d (want %d), calls %d (want %d)", inner.peak.Load(), broadcastSlots, inner.calls.Load(), flood)
	}
}

// A call that waits for a slot gives up when its context ends, with the
// context's gRPC status, and never reaches CheckTx.
func TestBroadcastWaitEndsWithContext(t *testing.T) {
	inner := &slowBroadcast{release: make(chan struct{})}
	svc := newLimitedTxService(inner, 1, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = svc.BroadcastTx(context.Background(), &txtypes.BroadcastTxRequest{})
	}()
	for inner.inside.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := svc.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("waiting call: %v, want DeadlineExceeded", err)
	}
	close(inner.release)
	<-done
	if inner.calls.Load() != 1 {
		t.Fatalf("%d calls reached CheckTx, want 1", inner.calls.Load())
	}
}

// goroutineBroadcast is a tx service that records which goroutine runs each
// BroadcastTx, and panics while panicNext is set.
type goroutineBroadcast struct {
	txtypes.UnimplementedServiceServer
	mu        sync.Mutex
	seen      map[string]int
	panicNext atomic.Bool
}

func (s *goroutineBroadcast) BroadcastTx(context.Context, *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	if s.panicNext.Swap(false) {
		panic("boom")
	}
	buf := make([]byte, 64)
	id := strings.Fields(string(buf[:runtime.Stack(buf, false)]))[1] // "goroutine N [running]:"
	s.mu.Lock()
	s.seen[id]++
	s.mu.Unlock()
	return &txtypes.BroadcastTxResponse{}, nil
}

// Broadcasts run on goroutines the service keeps (whose stacks stay grown),
// not on each call's own: 400 calls, one at a time and then 40 at once, run
// on at most broadcastSlots goroutines, none of them the caller's.
func TestBroadcastRunsOnKeptGoroutines(t *testing.T) {
	inner := &goroutineBroadcast{seen: map[string]int{}}
	svc := newLimitedTxService(inner, broadcastSlots, nil)
	for range 200 {
		if _, err := svc.BroadcastTx(context.Background(), &txtypes.BroadcastTxRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := svc.BroadcastTx(context.Background(), &txtypes.BroadcastTxRequest{}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	calls := 0
	for _, n := range inner.seen {
		calls += n
	}
	if calls != 400 || len(inner.seen) > broadcastSlots {
		t.Fatalf("%d calls ran on %d goroutines, want 400 on at most %d", calls, len(inner.seen), broadcastSlots)
	}
}

// A panic in a broadcast reaches the caller (where the gRPC method's
// recovery turns it into an error), and the service goes on serving.
func TestBroadcastPanicReachesCaller(t *testing.T) {
	inner := &goroutineBroadcast{seen: map[string]int{}}
	svc := newLimitedTxService(inner, 1, nil)
	inner.panicNext.Store(true)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the broadcast's panic", r)
			}
		}()
		_, _ = svc.BroadcastTx(context.Background(), &txtypes.BroadcastTxRequest{})
		t.Fatal("the panic did not reach the caller")
	}()
	if _, err := svc.BroadcastTx(context.Background(), &txtypes.BroadcastTxRequest{}); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
}
