package provider

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// laggingChain is the chain behind an auditNode as the agent's block
// poller sees it (cmtservice.GetLatestBlock over gRPC): its height grows
// only while the agent lists open jobs, two blocks a listing, as a listing
// that uses its whole wait (callWait: 2 s, two 1 s blocks) lets it. Each new
// block lands the mempool (a reveal after its job's reveal end is refused)
// and moves the watched job through its phases.
type laggingChain struct {
	cmtservice.UnimplementedServiceServer
	n         *auditNode
	job       computetypes.Job // the agent's committed bid's job
	mu        sync.Mutex
	height    int64
	polls     chan int64 // the height each poll answered
	pages     int        // pages listed at the step of height stepAt
	stepAt    int64
	revealAt  int64 // block in which the reveal landed (0: none in time)
	late      int   // reveals refused in a block past the reveal end
	lagAtEnd  int64 // the agent's lag when the chain passed the reveal end
	passed    chan struct{}
	closeOnce sync.Once
}

func (c *laggingChain) GetLatestBlock(context.Context, *cmtservice.GetLatestBlockRequest) (*cmtservice.GetLatestBlockResponse, error) {
	c.mu.Lock()
	h := c.height
	c.mu.Unlock()
	select {
	case c.polls <- h:
	default:
	}
	return &cmtservice.GetLatestBlockResponse{SdkBlock: &cmtservice.Block{
		Header: cmtservice.Header{Height: h, Time: time.Unix(1_800_000_000+h, 0)}}}, nil
}

// advance makes the next block and returns once the agent's poller has
// put it in the agent's block buffer: a poll answered the new height, and
// the poll after it began only once that height was sent.
func (c *laggingChain) advance(ctx context.Context, agentHeight int64) {
	for drained := false; !drained; {
		select {
		case <-c.polls:
		default:
			drained = true
		}
	}
	c.mu.Lock()
	c.height++
	h := c.height
	c.n.mu.Lock()
	for _, tx := range c.n.mempool {
		for _, m := range tx.msgs {
			if rv, ok := m.(*computetypes.MsgRevealBid); ok && rv.JobId == c.job.Id {
				if h > c.job.RevealEnd {
					c.late++
					continue
				}
				bc := c.n.commits[rv.JobId]
				bc.Revealed = true
				c.n.commits[rv.JobId] = bc
				c.revealAt = h
			}
		}
		c.n.landed[tx.hash] = true
		c.n.committed++
	}
	c.n.mempool = nil
	j := c.job
	switch {
	case h <= j.CommitEnd:
		j.State = computetypes.JobState_JOB_STATE_OPEN
	case h <= j.RevealEnd:
		j.State = computetypes.JobState_JOB_STATE_REVEAL
	default:
		j.State, j.Winner = computetypes.JobState_JOB_STATE_ASSIGNED, "aic1other"
	}
	c.n.jobs[j.Id] = j
	c.n.mu.Unlock()
	if h > c.job.RevealEnd {
		c.closeOnce.Do(func() { c.lagAtEnd = h - agentHeight; close(c.passed) })
	}
	c.mu.Unlock()
	for seen, after := false, false; !after; {
		select {
		case p := <-c.polls:
			after = seen
			seen = seen || p == h
		case <-ctx.Done():
			return
		}
	}
}

// floodedListing is the open-jobs listing of a chain flooded with open
// jobs priced below every floor (slowPages, answered at once); the chain
// makes a block on each of a step's first two pages.
type floodedListing struct {
	slowPages
	a *Agent
	c *laggingChain
}

func (q floodedListing) Jobs(ctx context.Context, in *computetypes.QueryJobsRequest, opts ...grpc.CallOption) (*computetypes.QueryJobsResponse, error) {
	// Called from the agent's step: a.height is the height it steps.
	c := q.c
	if c.stepAt != q.a.height {
		c.stepAt, c.pages = q.a.height, 0
	}
	c.pages++
	c.mu.Lock()
	lag := c.height - q.a.height
	c.mu.Unlock()
	if c.pages <= 2 && lag < 12 { // the poller's buffer (16) never fills
		c.advance(ctx, q.a.height)
	}
	return q.slowPages.Jobs(ctx, in, opts...)
}

// TestAttackOpenJobFloodLagsTheRevealPastItsWindow: an attacker keeps
// enough open jobs on chain (each costs the creation fee; priced below
// every floor, no provider bids) that every listing of open jobs uses its
// whole wait, callWait: at least 2 s, two blocks of a 1 s chain (one of a
// 2 s one, with the rest of the step on top). The blocks made meanwhile
// wait in the watcher's buffer, and the agent stepped each of them in
// turn, at its own height, each with a listing of its own: every step fell
// one block further behind, and the steps' heights said the reveal phase of
// a committed bid had not begun (or was open) when the chain had long left
// it. The agent learnt of the reveal phase 12 blocks late and the 5-block
// window (the chain's minimum) passed with no reveal: the bid's deposit
// (bid_deposit, 1 AIC) is forfeited at every such bid, and a won job's
// result and abort are as late. Each step now starts at the newest block
// buffered (catchUp).
func TestAttackOpenJobFloodLagsTheRevealPastItsWindow(t *testing.T) {
	job := gemmJob(1, 64, 40)
	job.State, job.CommitEnd, job.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 125, 130
	c := &laggingChain{job: job, height: 101, polls: make(chan int64, 64), passed: make(chan struct{})}
	// The agent's node: the fake node's tx and account services, and the
	// chain's latest block for the watcher.
	n := newAuditNode(t, func(s *grpc.Server) { cmtservice.RegisterServiceServer(s, c) })
	c.n = n
	n.setJob(job)
	a := n.agent(t)
	a.cfg.Watch = chainclient.WatchConfig{Poll: time.Millisecond, Log: a.log}
	a.query = floodedListing{slowPages: slowPages{auditQuery: auditQuery{n: n}, flood: 20 * 200, pages: &atomic.Int64{}}, a: a, c: c}

	committedBid(t, n, a, job)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.loop(ctx) }()
	select {
	case <-c.passed:
	case <-time.After(60 * time.Second):
		t.Error("the chain did not pass the reveal end in 60 s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.revealAt == 0 {
		t.Fatalf("no reveal of the committed bid on job 1 landed in its reveal window (blocks %d-%d; %d refused as late): when the chain "+
			"passed block %d the agent was stepping a block %d behind it, each buffered block in turn with a listing of the flood's "+
			"open jobs: the bid's deposit %s is forfeited", job.CommitEnd+1, job.RevealEnd, c.late, job.RevealEnd, c.lagAtEnd, a.params.BidDeposit)
	}
}

// A step at the newest of several buffered blocks still sees what the
// others carried: their txs' results (confirm), their events (a job's
// reveal phase, its award) in height order, and a params refresh one of
// them was due for; the merged block is Full only if all were.
func TestCatchUpKeepsTheSkippedBlocksTxsAndEvents(t *testing.T) {
	a := testAgent(t)
	blocks := make(chan chainclient.Block, 4)
	blocks <- chainclient.Block{Height: 200, Full: true, Txs: map[string]uint32{"B": 5}, Events: []abci.Event{{Type: "b"}}}
	blocks <- chainclient.Block{Height: 201, Time: time.Unix(201, 0), Full: true, Events: []abci.Event{{Type: "c"}}}
	b := a.catchUp(chainclient.Block{Height: 199, Full: true, Txs: map[string]uint32{"A": 0}, Events: []abci.Event{{Type: "a"}}}, blocks)
	if b.Height != 201 || !b.Time.Equal(time.Unix(201, 0)) || !b.Full || len(blocks) != 0 {
		t.Fatalf("merged block at %d (time %v, full %v), %d left buffered", b.Height, b.Time, b.Full, len(blocks))
	}
	if code, ok := b.Txs["A"]; !ok || code != 0 || b.Txs["B"] != 5 {
		t.Fatalf("merged txs %v", b.Txs)
	}
	if len(b.Events) != 3 || b.Events[0].Type != "a" || b.Events[2].Type != "c" {
		t.Fatalf("merged events %v", b.Events)
	}
	if !a.paramsDue {
		t.Fatal("block 200 was merged into 201 without its params refresh")
	}
	blocks <- chainclient.Block{Height: 202}
	close(blocks)
	if b = a.catchUp(b, blocks); b.Full || b.Height != 202 {
		t.Fatalf("a polled block merged into a full one gives height %d, full %v", b.Height, b.Full)
	}
}
