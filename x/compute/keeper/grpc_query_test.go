package keeper_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/x/compute/types"
)

func TestQueries(t *testing.T) {
	s := newSuite(t)
	req, req2, p1, p2 := s.acc(0), s.acc(3), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	won := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	open1 := s.create(req, 1_000)
	open2 := s.create(req2, 1_000)
	ctx := s.ta.Ctx

	jobs, err := s.q.Jobs(ctx, &types.QueryJobsRequest{State: types.JobState_JOB_STATE_OPEN})
	if err != nil || len(jobs.Jobs) != 2 || jobs.Jobs[0].Id != open1 || jobs.Jobs[1].Id != open2 {
		t.Fatalf("open jobs %+v %v", jobs, err)
	}
	jobs, err = s.q.Jobs(ctx, &types.QueryJobsRequest{Requester: req.String()})
	if err != nil || len(jobs.Jobs) != 2 {
		t.Fatalf("jobs by requester %+v %v", jobs, err)
	}
	jobs, err = s.q.Jobs(ctx, &types.QueryJobsRequest{Provider: p1.String()})
	if err != nil || len(jobs.Jobs) != 1 || jobs.Jobs[0].Id != won {
		t.Fatalf("jobs by provider %+v %v", jobs, err)
	}
	page, err := s.q.Jobs(ctx, &types.QueryJobsRequest{Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	if err != nil || len(page.Jobs) != 2 || page.Pagination.Total != 3 || page.Pagination.NextKey == nil {
		t.Fatalf("page 1 %+v %v", page, err)
	}
	page2, err := s.q.Jobs(ctx, &types.QueryJobsRequest{Pagination: &query.PageRequest{Key: page.Pagination.NextKey}})
	if err != nil || len(page2.Jobs) != 1 || page2.Jobs[0].Id != open2 {
		t.Fatalf("page 2 %+v %v", page2, err)
	}
	if _, err := s.q.Jobs(ctx, &types.QueryJobsRequest{State: types.JobState_JOB_STATE_OPEN, Requester: req.String()}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("two filters: %v", err)
	}
	if _, err := s.q.Job(ctx, &types.QueryJobRequest{JobId: 99}); status.Code(err) != codes.NotFound {
		t.Fatalf("missing job: %v", err)
	}
	if _, err := s.q.Job(ctx, nil); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("nil request: %v", err)
	}
	bids, err := s.q.Bids(ctx, &types.QueryBidsRequest{JobId: won})
	if err != nil || len(bids.Commits) != 2 || len(bids.Bids) != 2 {
		t.Fatalf("bids %+v %v", bids, err)
	}
	// One provider's commitment and bid, by key.
	mine, err := s.q.Bids(ctx, &types.QueryBidsRequest{JobId: won, Provider: p1.String()})
	if err != nil || len(mine.Commits) != 1 || mine.Commits[0].Provider != p1.String() || len(mine.Bids) != 1 || mine.Bids[0].Provider != p1.String() {
		t.Fatalf("p1's bid %+v %v", mine, err)
	}
	none, err := s.q.Bids(ctx, &types.QueryBidsRequest{JobId: won, Provider: req.String()})
	if err != nil || len(none.Commits) != 0 || len(none.Bids) != 0 {
		t.Fatalf("a provider that did not commit %+v %v", none, err)
	}
	if _, err := s.q.Bids(ctx, &types.QueryBidsRequest{JobId: won, Provider: "aic1bad"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a bad provider address: %v", err)
	}
	provs, err := s.q.Providers(ctx, &types.QueryProvidersRequest{Status: types.ProviderStatus_PROVIDER_STATUS_ACTIVE})
	if err != nil || len(provs.Providers) != 2 {
		t.Fatalf("providers %+v %v", provs, err)
	}
	provs, err = s.q.Providers(ctx, &types.QueryProvidersRequest{Status: types.ProviderStatus_PROVIDER_STATUS_JAILED})
	if err != nil || len(provs.Providers) != 0 {
		t.Fatalf("jailed providers %+v %v", provs, err)
	}
	pr, err := s.q.Provider(ctx, &types.QueryProviderRequest{Address: p1.String()})
	if err != nil || pr.Provider.Address != p1.String() {
		t.Fatalf("provider %+v %v", pr, err)
	}
	st, err := s.q.Stats(ctx, &types.QueryStatsRequest{})
	if err != nil || st.Stats.ActiveProviders != 2 || len(st.Stats.JobsPerState) != 2 {
		t.Fatalf("stats %+v %v", st, err)
	}
}
