package provider

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// hangingList is the fake node's compute queries, but a listing of open
// jobs never answers (the node's host vanished without a reset, a network
// partition, a node stuck in a long iteration): the call waits until its
// context ends.
type hangingList struct {
	auditQuery
	hung *atomic.Int32
}

func (q hangingList) Jobs(ctx context.Context, _ *computetypes.QueryJobsRequest, _ ...grpc.CallOption) (*computetypes.QueryJobsResponse, error) {
	q.hung.Add(1)
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestAttackHungQueryBlocksTheNextReveal: no query or broadcast the
// pipeline makes has a deadline of its own (step runs under the agent's run
// context; chainclient sets none either). One listing of open jobs that the
// node never answers holds the pipeline's goroutine for as long as the
// connection lives (minutes, until TCP gives up), and no later block is
// stepped: the agent's committed bid whose reveal phase opens meanwhile is
// never revealed, and its deposit (1 AIC by default) is forfeited, as are
// the collateral of won jobs whose results wait. A bounded wait per call
// (a share of the block) lets the next block reveal.
func TestAttackHungQueryBlocksTheNextReveal(t *testing.T) {
	n := newAuditNode(t)
	job := gemmJob(1, 64, 40)
	job.State, job.CommitEnd, job.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 105, 112
	n.setJob(job)

	a := n.agent(t)
	var hung atomic.Int32
	a.query = hangingList{auditQuery: auditQuery{n: n}, hung: &hung}
	committedBid(t, n, a, job)

	ctx, cancel := context.WithCancel(context.Background()) // the agent's run: SIGTERM only
	stepped := make(chan int64, 16)
	defer func() { // stop the agent and wait for its pipeline before the fixtures close
		cancel()
		for range stepped {
		}
	}()
	go func() {
		defer close(stepped)
		// Block 102 lists the open jobs (polling); blocks 107… are the job's
		// reveal phase.
		for _, h := range []int64{102, 107, 108, 109, 110, 111} {
			if h == 107 {
				job.State = computetypes.JobState_JOB_STATE_REVEAL
				n.setJob(job)
			}
			_ = a.step(ctx, chainclient.Block{Height: h})
			stepped <- h
			if ctx.Err() != nil {
				return
			}
		}
	}()
	// The reveal window is 5 blocks; wait far longer than that takes.
	deadline := time.After(30 * time.Second)
	for {
		if _, reveals := n.sentFor(1); reveals > 0 {
			return
		}
		select {
		case h := <-stepped:
			if h == 111 {
				t.Fatalf("the reveal phase passed without a reveal (listings hung: %d)", hung.Load())
			}
		case <-deadline:
			t.Fatalf("30 s after block 102 the agent has not revealed its committed bid on job 1 (reveal end 112): its "+
				"pipeline is still in block 102's listing of open jobs, which the node never answered (%d hung calls); "+
				"no later block was stepped, the reveal window passes and the deposit is forfeited", hung.Load())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// slowPages answers the open-jobs listing in pages of the request's limit
// (200), each after lat (a node across a WAN, or one busy serving others):
// 'flood' open jobs posted by an attacker at a max price below every floor,
// then the node's own jobs.
type slowPages struct {
	auditQuery
	flood int
	lat   time.Duration
	pages *atomic.Int64
}

func (q slowPages) Jobs(ctx context.Context, in *computetypes.QueryJobsRequest, opts ...grpc.CallOption) (*computetypes.QueryJobsResponse, error) {
	mine, err := q.auditQuery.Jobs(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	select {
	case <-time.After(q.lat):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	q.pages.Add(1)
	total := q.flood + len(mine.Jobs)
	off, limit := 0, 100
	if p := in.Pagination; p != nil {
		if len(p.Key) > 0 {
			if off, err = strconv.Atoi(string(p.Key)); err != nil {
				return nil, err
			}
		}
		if p.Limit > 0 {
			limit = int(p.Limit)
		}
	}
	res := &computetypes.QueryJobsResponse{Pagination: &query.PageResponse{}}
	for k := off; k < total && k < off+limit; k++ {
		if k < q.flood {
			j := gemmJob(uint64(1000+k), 16, 40)
			j.Requester, j.MaxPrice = "aic1mallory", sdk.NewInt64Coin("uaic", 1) // below the floor: skipped
			res.Jobs = append(res.Jobs, j)
		} else {
			res.Jobs = append(res.Jobs, mine.Jobs[k-q.flood])
		}
	}
	if off+limit < total {
		res.Pagination.NextKey = []byte(strconv.Itoa(off + limit))
	}
	return res, nil
}

// TestAttackOpenJobFloodOutlastsTheBidStageWait: 8858bb6 gives each stage
// of a step callWait (half a block, at least 2 s) for all its node calls.
// The bid stage lists every open job, page by page (200 a page), before it
// decides on any. An attacker posts 4,800 open jobs priced below every
// floor (24 pages); on a node answering a page in 150 ms (a remote node)
// the listing takes 3.6 s, more than the 3 s a 6 s block allows: every bid
// stage ends in "context deadline exceeded" before deciding, and the honest
// provider never bids again, on anything, while the flood stays open. Before
// the fix the listing took its 3.6 s and the step bid. (Without an
// attacker, a busy chain's open jobs do the same.)
func TestAttackOpenJobFloodOutlastsTheBidStageWait(t *testing.T) {
	n := newAuditNode(t)
	honest := gemmJob(1, 16, 40)
	honest.State, honest.CommitEnd, honest.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 110, 115
	n.setJob(honest)
	a := n.agent(t)
	a.cap.blockSecs = 6 // callWait 3 s
	pages := &atomic.Int64{}
	a.query = slowPages{auditQuery: auditQuery{n: n}, flood: 24 * 200, lat: 150 * time.Millisecond, pages: pages}
	var lastErr error
	for h := int64(101); h <= 102; h++ {
		lastErr = a.step(context.Background(), chainclient.Block{Height: h})
		n.land()
	}
	if c, _ := n.sentFor(honest.Id); a.recs[honest.Id] == nil || c == 0 {
		t.Fatalf("no commitment for the honest job %d in 2 steps (record %v, %d commitments sent): the open-jobs listing (%d pages "+
			"of %d open jobs at 150 ms each) outlasts the bid stage's callWait of %v; last step error: %v",
			honest.Id, a.recs[honest.Id] != nil, c, pages.Load(), 24*200+1, a.callWait(), lastErr)
	}
}

// committedBid is a's bid on job, committed: its record, and its
// commitment on n's chain.
func committedBid(t *testing.T, n *auditNode, a *Agent, job computetypes.Job) *Record {
	t.Helper()
	r := &Record{ID: job.Id, Requester: job.Requester, Phase: PhaseCommitted, Price: "1000uaic", Salt: make([]byte, 32),
		Collateral: "1000000uaic", CommitEnd: job.CommitEnd, RevealEnd: job.RevealEnd, ExecBlocks: job.ExecBlocks}
	a.recs[job.Id] = r
	commitment, err := a.commitment(r)
	if err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	n.commits[job.Id] = computetypes.BidCommit{JobId: job.Id, Provider: a.me, Commitment: commitment}
	n.mu.Unlock()
	return r
}
