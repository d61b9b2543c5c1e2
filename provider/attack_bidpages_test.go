package provider

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// crowdedBids answers Bids as the chain does for a job with many
// commitments: by provider address, 'others' commitments of addresses that
// sort before this provider's, then the node's own (this provider's), in
// pages of the request's limit; asked for one provider's (provider set), the
// chain reads it by key, and so does this fake.
type crowdedBids struct {
	auditQuery
	others int
	pages  *atomic.Int64
}

func (q crowdedBids) Bids(ctx context.Context, in *computetypes.QueryBidsRequest, opts ...grpc.CallOption) (*computetypes.QueryBidsResponse, error) {
	q.pages.Add(1)
	mine, err := q.auditQuery.Bids(ctx, in, opts...)
	if err != nil || in.Provider != "" {
		return mine, err // one provider's commitment: read by key, whatever the crowd
	}
	total := q.others + len(mine.Commits)
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
	res := &computetypes.QueryBidsResponse{Pagination: &query.PageResponse{}}
	for k := off; k < total && k < off+limit; k++ {
		if k < q.others {
			res.Commits = append(res.Commits, computetypes.BidCommit{JobId: in.JobId, Provider: fmt.Sprintf("aic1aaaa%08d", k), Commitment: []byte{1}})
		} else {
			res.Commits = append(res.Commits, mine.Commits[k-q.others])
		}
	}
	if off+limit < total {
		res.Pagination.NextKey = []byte(strconv.Itoa(off + limit))
	}
	return res, nil
}

// TestAttackCommitLandedAtShutdownIsForgottenOnRestart, on a job with more
// commitments than myCommit pages through (maxBidPages × 200 = 10,000; the
// chain bounds a job's commitments only by uint32 and each sybil's
// collateral) whose addresses sort before the agent's. The agent's own
// commitment is on chain, but myCommit gives up ("more than 50 pages")
// every time it is asked: commitRefused keeps resending the refused
// commitment (50 page queries a block), expireBids returns the error, and
// once the reveal window is past the record is forgotten without asking —
// the commitment is never revealed and its deposit is forfeited. The chain
// holds this provider's commitment under the key (job, provider): paging
// from that key finds it in one query whatever the crowd.
func TestAttackCrowdedJobHidesALandedCommitment(t *testing.T) {
	n := newAuditNode(t)
	job := gemmJob(1, 64, 40)
	job.State, job.CommitEnd, job.RevealEnd = computetypes.JobState_JOB_STATE_OPEN, 105, 112
	n.setJob(job)

	a := n.agent(t)
	ctx := shutdownMidBroadcast(n)
	_ = a.step(ctx, chainclient.Block{Height: 102})
	_ = a.flush()
	n.release()
	if c, _ := n.sentFor(1); c != 1 {
		t.Fatalf("setup: %d commitments reached the node, want 1", c)
	}
	n.land()

	b := restarted(t, n, a)
	pages := &atomic.Int64{}
	b.query = crowdedBids{auditQuery: auditQuery{n: n}, others: maxBidPages * 200, pages: pages}
	bg := context.Background()
	for h := int64(104); h <= 113; h++ {
		if h == 106 {
			job.State = computetypes.JobState_JOB_STATE_REVEAL
			n.setJob(job)
		}
		if err := b.step(bg, chainclient.Block{Height: h}); err != nil {
			t.Logf("height %d: %v", h, err)
		}
		n.land()
	}
	if _, reveals := n.sentFor(1); reveals == 0 {
		t.Fatalf("the agent's commitment for job 1 is on chain (behind %d others) but it never revealed it (deposit forfeited): "+
			"record kept %v; %d pages of bids read looking for it", maxBidPages*200, b.recs[1] != nil, pages.Load())
	}
}
