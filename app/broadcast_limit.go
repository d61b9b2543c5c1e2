package app

import (
	"context"
	"sync/atomic"

	"github.com/spf13/cast"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
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
// broadcastSlots, and Simulate calls past simulateSlots, waiting for a
// slot of their own pool (simulations in simQueue's order and bounds).
// CheckTx and the consensus steps (proposal, vote extensions,
// FinalizeBlock, Commit) take one lock on the app, and Go hands a contended lock over in arrival
// order: with hundreds of clients broadcasting at once, every consensus
// step of every height queued behind all their CheckTx calls, and blocks
// came late (a client flooding a validator's gRPC port could slow its
// consensus at will). A call waiting for a slot holds no lock, and gives
// up when its context ends. Holding a slot, a broadcast first verifies its
// transaction's signatures outside the app's lock where pre allows
// (sigPrecheck; pre may be nil), and both run on one of the service's kept
// goroutines (keptStacks). A transaction over maxTxBytes (CometBFT's
// mempool refuses it unread) is refused before it takes a slot or is
// decoded (TestAttackPrecheckDecodesOversizedBroadcastApp). The other methods
// are the SDK's, unchanged.
type limitedTxService struct {
	txtypes.ServiceServer
	slots      chan struct{}
	sims       *simQueue
	pre        *sigPrecheck
	workers    *keptStacks
	maxTxBytes int
}

func newLimitedTxService(inner txtypes.ServiceServer, slots int, pre *sigPrecheck) limitedTxService {
	return limitedTxService{ServiceServer: inner, slots: make(chan struct{}, slots), sims: newSimQueue(simulateSlots),
		pre: pre, workers: newKeptStacks(slots), maxTxBytes: defaultMaxTxBytes}
}

func (s limitedTxService) BroadcastTx(ctx context.Context, req *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	if err := s.checkSize(len(req.GetTxBytes())); err != nil {
		return nil, err
	}
	var (
		res *txtypes.BroadcastTxResponse
		err error
	)
	if serr := s.inSlot(ctx, func() {
		s.pre.run(req.GetTxBytes())
		res, err = s.ServiceServer.BroadcastTx(ctx, req)
	}); serr != nil {
		return nil, serr
	}
	return res, err
}

// Simulate is the SDK's, in a slot of sims (the smallest transaction
// first, a few calls per client), for a transaction no larger than a
// broadcast may be; the gas it may use is capped by the ante handler
// (simulateGasCap). A call through ABCI Query (the router hands the method
// the query's sdk.Context; the CLI simulates so without --grpc-addr) holds
// the node's ABCI lock: it is held to abciSimulation's bounds.
func (s limitedTxService) Simulate(ctx context.Context, req *txtypes.SimulateRequest) (*txtypes.SimulateResponse, error) {
	size := len(req.GetTxBytes())
	if req.GetTx() != nil {
		size = max(size, req.GetTx().Size()) // the deprecated field, encoded by the SDK as it is
	}
	if err := s.checkSize(size); err != nil {
		return nil, err
	}
	var (
		res *txtypes.SimulateResponse
		err error
	)
	run := (*simQueue).run
	if _, underLock := ctx.(sdk.Context); underLock {
		run = abciSimulation
	}
	if serr := run(s.sims, ctx, size, func() { res, err = s.ServiceServer.Simulate(ctx, req) }); serr != nil {
		return nil, serr
	}
	return res, err
}

// inSlot waits for a broadcast slot (or ctx's end) and runs f in it, on a
// kept goroutine.
func (s limitedTxService) inSlot(ctx context.Context, f func()) error {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
	defer func() { <-s.slots }()
	s.workers.run(f)
	return nil
}

// checkSize refuses a transaction of n bytes over maxTxBytes.
func (s limitedTxService) checkSize(n int) error {
	if s.maxTxBytes > 0 && n > s.maxTxBytes {
		return status.Errorf(codes.InvalidArgument,
			"transaction of %d bytes is over the node's mempool max_tx_bytes (%d bytes, config.toml [mempool])", n, s.maxTxBytes)
	}
	return nil
}

// defaultMaxTxBytes is CometBFT's default mempool max_tx_bytes (1 MiB).
const defaultMaxTxBytes = 1 << 20

// mempoolMaxTxBytes is config.toml's [mempool] max_tx_bytes as the node
// reads it (the SDK's start command merges config.toml into the app
// options), or CometBFT's default where it is not set.
func mempoolMaxTxBytes(opts servertypes.AppOptions) int {
	if opts != nil {
		if n := cast.ToInt(opts.Get("mempool.max_tx_bytes")); n > 0 {
			return n
		}
	}
	return defaultMaxTxBytes
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
