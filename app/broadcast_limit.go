package app

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc/status"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// broadcastSlots is how many BroadcastTx calls of the node's gRPC tx
// service (and of its REST gateway) may be checking their transaction at
// once.
const broadcastSlots = 8

// limitedTxService is the SDK's tx service with BroadcastTx calls past
// broadcastSlots waiting for a slot. CheckTx and the consensus steps
// (proposal, vote extensions, FinalizeBlock, Commit) take one lock on the
// app, and Go hands a contended lock over in arrival order: with hundreds
// of clients broadcasting at once, every consensus step of every height
// queued behind all their CheckTx calls, and blocks came late (a client
// flooding a validator's gRPC port could slow its consensus at will). A
// call waiting for a slot holds no lock, and gives up when its context
// ends. Holding a slot, a call first verifies its transaction's
// signatures outside the app's lock where pre allows (sigPrecheck; pre may
// be nil), and both run on one of the service's kept goroutines
// (keptStacks). The other methods are the SDK's, unchanged.
type limitedTxService struct {
	txtypes.ServiceServer
	slots   chan struct{}
	pre     *sigPrecheck
	workers *keptStacks
}

func newLimitedTxService(inner txtypes.ServiceServer, slots int, pre *sigPrecheck) limitedTxService {
	return limitedTxService{ServiceServer: inner, slots: make(chan struct{}, slots), pre: pre, workers: newKeptStacks(slots)}
}

func (s limitedTxService) BroadcastTx(ctx context.Context, req *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	defer func() { <-s.slots }()
	var (
		res *txtypes.BroadcastTxResponse
		err error
	)
	s.workers.run(func() {
		s.pre.run(req.GetTxBytes())
		res, err = s.ServiceServer.BroadcastTx(ctx, req)
	})
	return res, err
}

// keptStacks runs calls on at most max goroutines that it keeps between
// calls (for the life of the process). The gRPC server runs each call on a
// new goroutine, whose stack starts at a few KiB; a broadcast's signature
// check and CheckTx (decoding, the ante chain, the stores) run deep, and
// grew that stack by copying it several times in every call:
// runtime.newstack was 8-10 % of the node's CPU under a broadcast load. A
// kept goroutine's stack stays grown (the GC halves an idle one's at most
// once a cycle). run blocks until a goroutine is free: callers hold a slot
// of limitedTxService first, so at most max wait.
type keptStacks struct {
	jobs    chan func()
	started atomic.Int32
	max     int32
}

func newKeptStacks(n int) *keptStacks { return &keptStacks{jobs: make(chan func()), max: int32(n)} }

// run calls f on a kept goroutine and returns when it has returned; a panic
// in f is raised again in the caller (where the gRPC method's recovery
// handles it), and the kept goroutine lives on.
func (w *keptStacks) run(f func()) {
	done := make(chan any, 1)
	job := func() {
		defer func() { done <- recover() }()
		f()
	}
	select {
	case w.jobs <- job: // an idle goroutine takes it
	default:
		if w.started.Add(1) <= w.max {
			go w.work(job)
		} else {
			w.started.Add(-1)
			w.jobs <- job // every goroutine is busy: wait for one
		}
	}
	if p := <-done; p != nil {
		panic(p)
	}
}

func (w *keptStacks) work(job func()) {
	for {
		job()
		job = <-w.jobs
	}
}
