package keeper

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/x/compute/types"
)

type querier struct {
	Keeper
}

var _ types.QueryServer = querier{}

// NewQuerier returns the module's Query service over the keeper.
func NewQuerier(k Keeper) types.QueryServer {
	return querier{Keeper: k}
}

func queryErr(err error) error {
	if err == nil {
		return nil
	}
	if types.ErrJobNotFound.Is(err) || types.ErrProviderNotFound.Is(err) {
		return status.Error(codes.NotFound, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// Params implements types.QueryServer.
func (q querier) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	p, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Provider implements types.QueryServer.
func (q querier) Provider(ctx context.Context, req *types.QueryProviderRequest) (*types.QueryProviderResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := sdk.AccAddressFromBech32(req.Address); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "address %q: %v", req.Address, err)
	}
	p, err := q.GetProvider(ctx, req.Address)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryProviderResponse{Provider: p}, nil
}

// Providers implements types.QueryServer: all providers, or one status through its index.
func (q querier) Providers(ctx context.Context, req *types.QueryProvidersRequest) (*types.QueryProvidersResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Status == types.ProviderStatus_PROVIDER_STATUS_UNSPECIFIED {
		out, page, err := query.CollectionPaginate(ctx, q.Keeper.Providers, req.Pagination,
			func(_ string, p types.Provider) (types.Provider, error) { return p, nil })
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		return &types.QueryProvidersResponse{Providers: out, Pagination: page}, nil
	}
	if _, ok := types.ProviderStatus_name[int32(req.Status)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d", req.Status)
	}
	out, page, err := query.CollectionPaginate(ctx, q.providersByStatus, req.Pagination,
		func(key collections.Pair[int32, string], _ collections.NoValue) (types.Provider, error) {
			return q.Keeper.Providers.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[int32, string](int32(req.Status)))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryProvidersResponse{Providers: out, Pagination: page}, nil
}

// Job implements types.QueryServer.
func (q querier) Job(ctx context.Context, req *types.QueryJobRequest) (*types.QueryJobResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	j, err := q.GetJob(ctx, req.JobId)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryJobResponse{Job: j}, nil
}

// Jobs implements types.QueryServer: all jobs, or those with one state,
// requester or provider (at most one filter), each through its index.
func (q querier) Jobs(ctx context.Context, req *types.QueryJobsRequest) (*types.QueryJobsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	filters := 0
	for _, set := range []bool{req.State != types.JobState_JOB_STATE_UNSPECIFIED, req.Requester != "", req.Provider != ""} {
		if set {
			filters++
		}
	}
	if filters > 1 {
		return nil, status.Error(codes.InvalidArgument, "set at most one of state, requester, provider")
	}
	getJob := func(id uint64) (types.Job, error) { return q.Keeper.Jobs.Get(ctx, id) }
	var (
		out  []types.Job
		page *query.PageResponse
		err  error
	)
	switch {
	case req.State != types.JobState_JOB_STATE_UNSPECIFIED:
		if _, ok := types.JobState_name[int32(req.State)]; !ok {
			return nil, status.Errorf(codes.InvalidArgument, "unknown state %d", req.State)
		}
		out, page, err = query.CollectionPaginate(ctx, q.jobsByState, req.Pagination,
			func(key collections.Pair[int32, uint64], _ collections.NoValue) (types.Job, error) {
				return getJob(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[int32, uint64](int32(req.State)))
	case req.Requester != "" || req.Provider != "":
		addr, view := req.Requester, q.jobsByRequester
		if req.Provider != "" {
			addr, view = req.Provider, q.jobsByProvider
		}
		if _, aerr := sdk.AccAddressFromBech32(addr); aerr != nil {
			return nil, status.Errorf(codes.InvalidArgument, "address %q: %v", addr, aerr)
		}
		out, page, err = query.CollectionPaginate(ctx, view, req.Pagination,
			func(key collections.Pair[string, uint64], _ collections.NoValue) (types.Job, error) {
				return getJob(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[string, uint64](addr))
	default:
		out, page, err = query.CollectionPaginate(ctx, q.Keeper.Jobs, req.Pagination,
			func(_ uint64, j types.Job) (types.Job, error) { return j, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryJobsResponse{Jobs: out, Pagination: page}, nil
}

// Bids implements types.QueryServer: a job's commitments, with the revealed bids among them.
func (q querier) Bids(ctx context.Context, req *types.QueryBidsRequest) (*types.QueryBidsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := q.GetJob(ctx, req.JobId); err != nil {
		return nil, queryErr(err)
	}
	commits, page, err := query.CollectionPaginate(ctx, q.BidCommits, req.Pagination,
		func(_ collections.Pair[uint64, string], c types.BidCommit) (types.BidCommit, error) { return c, nil },
		query.WithCollectionPaginationPairPrefix[uint64, string](req.JobId))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	res := &types.QueryBidsResponse{Commits: commits, Pagination: page}
	for _, c := range commits {
		if !c.Revealed {
			continue
		}
		b, err := q.Keeper.Bids.Get(ctx, collections.Join(c.JobId, c.Provider))
		if err != nil {
			return nil, queryErr(err)
		}
		res.Bids = append(res.Bids, b)
	}
	return res, nil
}

// PendingVerifications implements types.QueryServer: the VERIFYING jobs, with
// what a sidecar needs to check them.
func (q querier) PendingVerifications(ctx context.Context, req *types.QueryPendingVerificationsRequest) (*types.QueryPendingVerificationsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	out, page, err := query.CollectionPaginate(ctx, q.jobsByState, req.Pagination,
		func(key collections.Pair[int32, uint64], _ collections.NoValue) (types.PendingVerification, error) {
			j, err := q.Keeper.Jobs.Get(ctx, key.K2())
			if err != nil {
				return types.PendingVerification{}, err
			}
			pv := types.PendingVerification{
				JobId: j.Id, Workload: j.Workload, Indices: j.Sample.Indices, OutputRoot: j.Result.OutputRoot,
				ChunkCount: j.Result.ChunkCount, Provider: j.Winner, VerificationEnd: j.VerificationEnd,
				DatasetVersion: j.DatasetVersion, DatasetContentRoot: j.DatasetContentRoot,
			}
			if p, err := q.Keeper.Providers.Get(ctx, j.Winner); err == nil {
				pv.ProviderEndpoint = p.Endpoint
			} else if !isNotFound(err) {
				return pv, err
			}
			return pv, nil
		}, query.WithCollectionPaginationPairPrefix[int32, uint64](int32(types.JobState_JOB_STATE_VERIFYING)))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryPendingVerificationsResponse{Pending: out, Pagination: page}, nil
}

// Stats implements types.QueryServer.
func (q querier) Stats(ctx context.Context, req *types.QueryStatsRequest) (*types.QueryStatsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	s, err := q.getStats(ctx)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryStatsResponse{Stats: s}, nil
}
