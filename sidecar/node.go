package sidecar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cosmos/cosmos-sdk/types/query"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Reading the pending jobs from the node. The node is the validator's own,
// but one that answers wrongly (a bug, a remote node, one stuck under load)
// must not stop the sidecar: a poll is bounded in pages, in jobs and in
// time, and a poll that fails is logged and tried again at the next one.

// ErrBadPage is a page of PendingVerifications whose next_key does not move
// forward: a node answering the same key (or an earlier one) would keep the
// poll paging for ever (TestAttackNodeRepeatsNextKeyForever).
var ErrBadPage = errors.New("the node's next_key does not move forward")

// ErrPollTimeout is a read of PendingVerifications that took longer than
// Config.PollTimeout: the node accepted the query and did not answer in
// time (TestAttackNodeNeverAnswersStallsPolling).
var ErrPollTimeout = errors.New("the node did not list the pending verifications in time")

const (
	// pollPageLimit is the page size asked of the node.
	pollPageLimit = 200
	// maxPollPages and maxPollJobs bound one poll: 100 pages of 200, 20,000
	// jobs. A sidecar checks Workers jobs at a time and sends at most
	// MaxVerdictsPerExtension (2,048) verdicts a height, so a list ten
	// extensions long is more than it can check within any window, while
	// every job read is held in memory and walked at every poll. Past the
	// bound the poll keeps the first jobs by id (the oldest, whose windows
	// end first) and the rest wait until those leave the list.
	maxPollPages = 100
	maxPollJobs  = maxPollPages * pollPageLimit
	// minPollTimeout is the least time a poll is given (Config.PollTimeout
	// defaults to ten poll intervals): a node listing its pending jobs
	// reads each one's job and provider, a few milliseconds a page, and a
	// loaded node may take a few seconds; a poll that takes ten intervals
	// has missed that many heights, and is better asked again.
	minPollTimeout = 5 * time.Second
)

// readPending reads the pending jobs once, within PollTimeout.
func (v *Verifier) readPending(ctx context.Context) (Pending, error) {
	pctx, cancel := context.WithTimeout(ctx, v.cfg.PollTimeout)
	defer cancel()
	res, err := v.source.PendingVerifications(pctx)
	if err != nil && ctx.Err() == nil && errors.Is(pctx.Err(), context.DeadlineExceeded) {
		return Pending{}, fmt.Errorf("%w: %s: %w", ErrPollTimeout, v.cfg.PollTimeout, err)
	}
	return res, err
}

// NodeSource reads PendingVerifications from a node over gRPC.
type NodeSource struct{ Query computetypes.QueryClient }

// PendingVerifications lists the pending verifications, page by page, at
// the height of the first page: at most maxPollPages pages and maxPollJobs
// jobs (Truncated past them), each page's next_key after the one before
// (ErrBadPage otherwise).
func (s NodeSource) PendingVerifications(ctx context.Context) (Pending, error) {
	var out Pending
	var key []byte
	for page := 1; ; page++ {
		res, err := s.Query.PendingVerifications(ctx, &computetypes.QueryPendingVerificationsRequest{
			Pagination: &query.PageRequest{Key: key, Limit: pollPageLimit},
		})
		if err != nil {
			return Pending{}, err
		}
		if out.Height == 0 {
			out.Height = res.Height
		}
		jobs := res.Pending
		if room := maxPollJobs - len(out.Jobs); len(jobs) > room {
			jobs, out.Truncated = jobs[:room], true
		}
		out.Jobs = append(out.Jobs, jobs...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		next := res.Pagination.NextKey
		if bytes.Compare(next, key) <= 0 {
			return Pending{}, fmt.Errorf("%w: page %d answers next_key %x after key %x", ErrBadPage, page, next, key)
		}
		if out.Truncated || page == maxPollPages {
			out.Truncated = true
			return out, nil
		}
		key = next
	}
}
