package sidecar

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cosmos/cosmos-sdk/types/query"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// Reading the pending jobs from the node. The node is the validator's own,
// but one that answers wrongly (a bug, a remote node, one stuck under load)
// must not stop the sidecar: a poll is bounded in pages, in jobs kept and
// in time, and what it read before a bound or a failure is kept.

// ErrBadPage is a page of PendingVerifications whose next_key does not move
// forward, or that holds more jobs than asked: a node answering the same
// key (or an earlier one) would keep the poll paging for ever
// (TestAttackNodeRepeatsNextKeyForever).
var ErrBadPage = errors.New("the node's page of pending verifications is malformed")

// ErrPollTimeout is a read of PendingVerifications that took longer than
// Config.PollTimeout: the node accepted the query and did not answer in
// time (TestAttackNodeNeverAnswersStallsPolling).
var ErrPollTimeout = errors.New("the node did not list the pending verifications in time")

const (
	// pollPageLimit is the page size asked of the node.
	pollPageLimit = 200
	// maxPollJobs bounds the jobs one poll keeps: the most urgent (the
	// earliest verification_end, then the lowest id: urgentJobs). A sidecar
	// checks Workers jobs at a time and sends at most
	// MaxVerdictsPerExtension (2,048) verdicts a height, so 20,000 jobs are
	// more than it can check within any window, while every job kept is
	// held in memory and walked at every poll. The node lists jobs by id,
	// which is creation order, not urgency: keeping the first 20,000 by id
	// let a requester with 20,000 old jobs under check, their windows
	// ending late, hide an honest job whose window ends first from every
	// sidecar (TestAttackFloodOfOldJobsHidesTheUrgentHonestJob), so every
	// page is read and only the most urgent are kept.
	maxPollJobs = 20_000
	// maxPollPages bounds the pages of one poll, for a node whose keys move
	// forward but whose list never ends: 5,000 pages of 200, a million jobs,
	// far more than a chain has under check at once (each an awarded job
	// with its requester's escrow). PollTimeout bounds the poll's time.
	maxPollPages = 5_000
	// minPollTimeout is the least time a poll is given (Config.PollTimeout
	// defaults to ten poll intervals): a node listing its pending jobs
	// reads each one's job and provider, a few milliseconds a page, and a
	// loaded node may take a few seconds; a poll that takes ten intervals
	// has missed that many heights, and is better asked again.
	minPollTimeout = 5 * time.Second
)

// readPending reads the pending jobs once, within PollTimeout. Past it, the
// pages read are returned (Truncated) with ErrPollTimeout: a backlog the
// node lists slower than the deadline must not leave every job unread
// (TestAttackSlowListingBlindsTheSidecar).
func (v *Verifier) readPending(ctx context.Context) (Pending, error) {
	pctx, cancel := context.WithTimeout(ctx, v.cfg.PollTimeout)
	defer cancel()
	res, err := v.source.PendingVerifications(pctx)
	if err != nil && ctx.Err() == nil && errors.Is(pctx.Err(), context.DeadlineExceeded) {
		return res, fmt.Errorf("%w: %s: %w", ErrPollTimeout, v.cfg.PollTimeout, err)
	}
	return res, err
}

// NodeSource reads PendingVerifications from a node over gRPC.
type NodeSource struct{ Query computetypes.QueryClient }

// PendingVerifications lists the pending verifications, page by page, at
// the height of the first page, up to maxPollPages pages, and keeps the
// maxPollJobs most urgent (Truncated when some were left out or not read).
// A page whose next_key does not come after the one before, or that holds
// more jobs than asked, is ErrBadPage. On an error after the first page,
// the jobs kept so far are returned, Truncated, with the error.
func (s NodeSource) PendingVerifications(ctx context.Context) (Pending, error) {
	var keep urgentJobs
	var height int64
	var key []byte
	for page := 1; ; page++ {
		res, err := s.Query.PendingVerifications(ctx, &computetypes.QueryPendingVerificationsRequest{
			Pagination: &query.PageRequest{Key: key, Limit: pollPageLimit},
		})
		if err != nil {
			return keep.pending(height, true), err
		}
		if height == 0 {
			height = res.Height
		}
		if len(res.Pending) > pollPageLimit {
			return keep.pending(height, true), fmt.Errorf("%w: page %d holds %d jobs, %d asked",
				ErrBadPage, page, len(res.Pending), pollPageLimit)
		}
		for _, pv := range res.Pending {
			keep.add(pv, height)
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return keep.pending(height, false), nil
		}
		next := res.Pagination.NextKey
		if bytes.Compare(next, key) <= 0 {
			return keep.pending(height, true), fmt.Errorf("%w: page %d answers next_key %x after key %x",
				ErrBadPage, page, next, key)
		}
		if page == maxPollPages {
			return keep.pending(height, true), nil
		}
		key = next
	}
}

// urgentJobs keeps the maxPollJobs most urgent jobs of a listing: a heap
// whose top is the least urgent kept, replaced by any more urgent job once
// full. dropped says some were left out.
type urgentJobs struct {
	jobs    []computetypes.PendingVerification
	height  int64
	dropped bool
}

// lessUrgent orders jobs for the cut: a window already ended at height (no
// verdict can be checked for it any more) is least urgent, then the later
// verification_end, then the higher id: the order in which the workers
// would take them (jobState.before), but for failures.
func lessUrgent(a, b computetypes.PendingVerification, height int64) bool {
	if aEnded, bEnded := a.VerificationEnd <= height, b.VerificationEnd <= height; aEnded != bEnded {
		return aEnded
	}
	if a.VerificationEnd != b.VerificationEnd {
		return a.VerificationEnd > b.VerificationEnd
	}
	return a.JobId > b.JobId
}

func (u *urgentJobs) Len() int           { return len(u.jobs) }
func (u *urgentJobs) Less(i, j int) bool { return lessUrgent(u.jobs[i], u.jobs[j], u.height) }
func (u *urgentJobs) Swap(i, j int)      { u.jobs[i], u.jobs[j] = u.jobs[j], u.jobs[i] }
func (u *urgentJobs) Push(x any) {
	if pv, ok := x.(computetypes.PendingVerification); ok {
		u.jobs = append(u.jobs, pv)
	}
}
func (u *urgentJobs) Pop() any {
	last := u.jobs[len(u.jobs)-1]
	u.jobs = u.jobs[:len(u.jobs)-1]
	return last
}

// add keeps pv if it is among the maxPollJobs most urgent seen so far.
func (u *urgentJobs) add(pv computetypes.PendingVerification, height int64) {
	u.height = height
	if len(u.jobs) < maxPollJobs {
		heap.Push(u, pv)
		return
	}
	u.dropped = true
	if lessUrgent(u.jobs[0], pv, height) {
		u.jobs[0] = pv
		heap.Fix(u, 0)
	}
}

// pending is the listing kept; truncated: the node's list was not read to
// its end.
func (u *urgentJobs) pending(height int64, truncated bool) Pending {
	return Pending{Height: height, Jobs: u.jobs, Truncated: truncated || u.dropped}
}
