package provider

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

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
	r := &Record{ID: 1, Requester: job.Requester, Phase: PhaseCommitted, Price: "1000uaic", Salt: make([]byte, 32),
		Collateral: "1000000uaic", CommitEnd: job.CommitEnd, RevealEnd: job.RevealEnd, ExecBlocks: job.ExecBlocks}
	a.recs[1] = r
	commitment, err := a.commitment(r)
	if err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	n.commits[1] = computetypes.BidCommit{JobId: 1, Provider: a.me, Commitment: commitment}
	n.mu.Unlock()

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
