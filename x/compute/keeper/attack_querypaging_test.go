package keeper_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/testutil/storeiter"
	"github.com/aichain/aichain/x/compute/types"
)

// fillJobs stores n jobs (copies of one real job under new ids, through
// the indexed map so that every index holds them), as a busy chain has.
func fillJobs(s *suite, n int) uint64 {
	s.t.Helper()
	first := s.create(s.acc(0), verifyPrice)
	j := s.job(first)
	for id := first + 1; id < first+uint64(n); id++ {
		c := j
		c.Id = id
		if err := s.k.Jobs.Set(s.ta.Ctx, id, c); err != nil {
			s.t.Fatal(err)
		}
	}
	return first
}

const manyJobs = 1500

// TestAttackPaginateJobsDefaultPageScansAllJobs: a wallet's or explorer's plain
// `jobs` request (no pagination: the REST default) gets a page of 100 jobs,
// but the node walks every job in the store to count them, because the
// SDK turns count_total on for a request without a limit. Anyone can send
// it to any public node, as often as they like, and each call costs reads
// proportional to the whole chain history, not to the page. The work per
// call must be proportional to the page.
func TestAttackPaginateJobsDefaultPageScansAllJobs(t *testing.T) {
	s := newSuite(t)
	fillJobs(s, manyJobs)
	ctx, steps := storeiter.Wrap(s.ta.Ctx)
	res, err := s.q.Jobs(ctx, &types.QueryJobsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	page := len(res.Jobs)
	if steps.Steps() > 2*page+10 {
		t.Fatalf("a default Jobs request returned %d jobs but walked %d store entries (jobs stored: %d, total reported %d)",
			page, steps.Steps(), manyJobs, res.Pagination.GetTotal())
	}
}

// TestAttackPaginateJobsCountTotalScansAllJobs: count_total with a page of one
// job walks every job; the MaxPageLimit cap does not bound it. A fix either
// refuses count_total over big sets or answers it from a counter.
func TestAttackPaginateJobsCountTotalScansAllJobs(t *testing.T) {
	s := newSuite(t)
	fillJobs(s, manyJobs)
	ctx, steps := storeiter.Wrap(s.ta.Ctx)
	_, err := s.q.Jobs(ctx, &types.QueryJobsRequest{Pagination: &query.PageRequest{Limit: 1, CountTotal: true}})
	if err == nil && steps.Steps() > 20 {
		t.Fatalf("a 1-job page with count_total walked %d store entries (jobs stored: %d)", steps.Steps(), manyJobs)
	}
	if err != nil && (status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "next_key")) {
		t.Fatalf("count_total refused with %v, want InvalidArgument pointing to next_key", err)
	}
}

// TestAttackPaginateJobsHugeOffsetScans: a page of one job at offset N-1 walks N
// jobs (the SDK advances an iterator entry by entry to the offset); the
// offset is not bounded as the limit is (MaxPageLimit), so one request makes
// the node read the whole collection while returning one entry.
func TestAttackPaginateJobsHugeOffsetScans(t *testing.T) {
	s := newSuite(t)
	fillJobs(s, manyJobs)
	ctx, steps := storeiter.Wrap(s.ta.Ctx)
	res, err := s.q.Jobs(ctx, &types.QueryJobsRequest{Pagination: &query.PageRequest{Offset: manyJobs - 1, Limit: 1}})
	if err == nil && steps.Steps() > 20 {
		t.Fatalf("a 1-job page at offset %d returned %d jobs and walked %d store entries", manyJobs-1, len(res.Jobs), steps.Steps())
	}
	if err != nil && (status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "next_key")) {
		t.Fatalf("offset %d refused with %v, want InvalidArgument pointing to next_key", manyJobs-1, err)
	}
}
