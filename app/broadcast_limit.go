package app

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc/status"

	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
)

// broadcastSlots is how many BroadcastTx calls of the node's gRPC tx
// service (and of its REST gateway) may be checking their transaction at
// once: two, so that one call's signature check (sigPrecheck, outside the
// app's lock) runs while another's CheckTx holds the lock, and no more.
// Each call in a slot is a goroutine that wants a core (the check is ~0.2
// ms of CPU), and Go's scheduler has no priorities: every time the
// consensus goroutine blocks or is preempted it queues for a core behind
// whatever is runnable. With 8 slots, on 2 cores under a broadcast flood,
// execution traces (`go tool trace -pprof=sched`) had goroutines waiting
// for a core 23-25 s in every 6 s, the consensus goroutine 0.75 s on
// average, and block intervals stretched (p99 1.36-1.75 s in
// docs/bench-chain.md's runs of licences and job creations); with 2 slots
// 9-13 s and 0.49 s, p99 1.11-1.22 s, at the same or a higher rate. A call
// waiting for a slot is parked, not runnable.
const broadcastSlots = 2

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
