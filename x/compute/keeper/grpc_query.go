package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the module's Query service over the keeper.
func NewQueryServerImpl(k Keeper) types.QueryServer {
	return queryServer{k: k}
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

// address checks an address argument with the address codec.
func (q queryServer) address(addr string) error {
	_, err := q.canonical("address", addr)
	return err
}

// canonical decodes addr and encodes it again: the spelling the stores key
// an account by. Bech32 is case-insensitive, and a wallet that asks with the
// uppercase spelling (the one for QR codes) must find the same provider,
// jobs and bids (TestAttackJobsQueryUppercaseRequesterHidesJobs).
func (q queryServer) canonical(what, addr string) (string, error) {
	bz, err := q.k.addressCodec.StringToBytes(addr)
	if err != nil {
		return "", status.Errorf(codes.InvalidArgument, "%s %q: %v", what, addr, err)
	}
	s, err := q.k.addrString(bz)
	if err != nil {
		return "", status.Errorf(codes.InvalidArgument, "%s %q: %v", what, addr, err)
	}
	return s, nil
}

// Params implements types.QueryServer.
func (q queryServer) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Provider implements types.QueryServer.
func (q queryServer) Provider(ctx context.Context, req *types.QueryProviderRequest) (*types.QueryProviderResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := q.canonical("address", req.Address)
	if err != nil {
		return nil, err
	}
	p, err := q.k.GetProvider(ctx, addr)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryProviderResponse{Provider: p}, nil
}

// ModelBond implements types.QueryServer: an owner's model availability
// bond and its free part (an empty bond when it posted none).
func (q queryServer) ModelBond(ctx context.Context, req *types.QueryModelBondRequest) (*types.QueryModelBondResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := q.k.addressCodec.StringToBytes(req.Owner)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "owner %q: %v", req.Owner, err)
	}
	b, err := q.k.modelBond(ctx, owner)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryModelBondResponse{Bond: b, Free: b.Free()}, nil
}

// Providers implements types.QueryServer: all providers, or one status through its index.
func (q queryServer) Providers(ctx context.Context, req *types.QueryProvidersRequest) (*types.QueryProvidersResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Status == types.ProviderStatus_PROVIDER_STATUS_UNSPECIFIED {
		out, page, err := modkit.Paginate(ctx, q.k.Providers, req.Pagination,
			func(_ string, p types.Provider) (types.Provider, error) { return p, nil })
		if err != nil {
			return nil, err
		}
		return &types.QueryProvidersResponse{Providers: out, Pagination: page}, nil
	}
	if _, ok := types.ProviderStatus_name[int32(req.Status)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d", req.Status)
	}
	out, page, err := modkit.PaginateRef(ctx, q.k.providersByStatus, int32(req.Status), req.Pagination, q.k.Providers.Get)
	if err != nil {
		return nil, err
	}
	return &types.QueryProvidersResponse{Providers: out, Pagination: page}, nil
}

// Job implements types.QueryServer.
func (q queryServer) Job(ctx context.Context, req *types.QueryJobRequest) (*types.QueryJobResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	j, err := q.k.GetJob(ctx, req.JobId)
	if err != nil {
		return nil, queryErr(err)
	}
	if j, err = q.k.withCounted(ctx, j); err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryJobResponse{Job: j}, nil
}

// Jobs implements types.QueryServer: all jobs, or those with one state,
// requester or provider (at most one filter), each through its index.
func (q queryServer) Jobs(ctx context.Context, req *types.QueryJobsRequest) (*types.QueryJobsResponse, error) {
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
	var (
		res = &types.QueryJobsResponse{}
		err error
	)
	switch {
	case req.State != types.JobState_JOB_STATE_UNSPECIFIED:
		if _, ok := types.JobState_name[int32(req.State)]; !ok {
			return nil, status.Errorf(codes.InvalidArgument, "unknown state %d", req.State)
		}
		res.Jobs, res.Pagination, err = modkit.PaginateRef(ctx, q.k.jobsByState, int32(req.State), req.Pagination, q.k.Jobs.Get)
	case req.Requester != "" || req.Provider != "":
		addr, view := req.Requester, q.k.jobsByRequester
		if req.Provider != "" {
			addr, view = req.Provider, q.k.jobsByProvider
		}
		if addr, err = q.canonical("address", addr); err != nil {
			return nil, err
		}
		res.Jobs, res.Pagination, err = modkit.PaginateRef(ctx, view, addr, req.Pagination, q.k.Jobs.Get)
	default:
		res.Jobs, res.Pagination, err = modkit.Paginate(ctx, q.k.Jobs, req.Pagination,
			func(_ uint64, j types.Job) (types.Job, error) { return j, nil })
	}
	if err != nil {
		return nil, err
	}
	for i := range res.Jobs {
		if res.Jobs[i], err = q.k.withCounted(ctx, res.Jobs[i]); err != nil {
			return nil, queryErr(err)
		}
	}
	return res, nil
}

// Bids implements types.QueryServer: a job's commitments, with the revealed bids among them.
func (q queryServer) Bids(ctx context.Context, req *types.QueryBidsRequest) (*types.QueryBidsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := q.k.GetJob(ctx, req.JobId); err != nil {
		return nil, queryErr(err)
	}
	if req.Provider != "" {
		return q.providerBid(ctx, req.JobId, req.Provider)
	}
	commits, page, err := modkit.PaginatePrefix(ctx, q.k.BidCommits, req.JobId, req.Pagination,
		func(_ collections.Pair[uint64, string], c types.BidCommit) (types.BidCommit, error) { return c, nil })
	if err != nil {
		return nil, err
	}
	res := &types.QueryBidsResponse{Commits: commits, Pagination: page}
	for _, c := range commits {
		if !c.Revealed {
			continue
		}
		b, err := q.k.Bids.Get(ctx, collections.Join(c.JobId, c.Provider))
		if err != nil {
			return nil, queryErr(err)
		}
		res.Bids = append(res.Bids, b)
	}
	return res, nil
}

// providerBid is Bids for one provider: its commitment to the job, if any,
// and its bid if revealed (a provider agent checking whether a commitment
// it sent landed reads one key, not every page of a crowded job's).
func (q queryServer) providerBid(ctx context.Context, jobID uint64, provider string) (*types.QueryBidsResponse, error) {
	provider, err := q.canonical("provider", provider)
	if err != nil {
		return nil, err
	}
	res := &types.QueryBidsResponse{}
	key := collections.Join(jobID, provider)
	c, err := q.k.BidCommits.Get(ctx, key)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return res, nil
	case err != nil:
		return nil, queryErr(err)
	}
	res.Commits = []types.BidCommit{c}
	if c.Revealed {
		b, err := q.k.Bids.Get(ctx, key)
		if err != nil {
			return nil, queryErr(err)
		}
		res.Bids = []types.Bid{b}
	}
	return res, nil
}

// PendingVerifications implements types.QueryServer: the jobs under a
// sidecar check (VERIFYING: sampled chunks; ABORTING: inputs, with
// inputs_check set), by id, with what a sidecar needs to check them.
func (q queryServer) PendingVerifications(ctx context.Context, req *types.QueryPendingVerificationsRequest) (*types.QueryPendingVerificationsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	params, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, queryErr(err)
	}
	out, page, err := modkit.Paginate(ctx, q.k.PendingChecks, req.Pagination,
		func(id uint64, _ collections.NoValue) (types.PendingVerification, error) {
			return q.pendingVerification(ctx, id, params)
		})
	if err != nil {
		return nil, err
	}
	return &types.QueryPendingVerificationsResponse{Pending: out, Pagination: page,
		Height: sdk.UnwrapSDKContext(ctx).BlockHeight()}, nil
}

// pendingVerification is what a sidecar needs to check a VERIFYING job,
// with the chunk bound and unavailable span of the job's terms (under params,
// the params in force): a sidecar refuses a chunk over the bound, so a bound
// lowered after the job's admission would make it vote an honest winner
// UNAVAILABLE (TestAttackParamsChunkLimitShrunkUnderVerifyingJob).
func (q queryServer) pendingVerification(ctx context.Context, id uint64, params types.Params) (types.PendingVerification, error) {
	j, err := q.k.Jobs.Get(ctx, id)
	if err != nil {
		return types.PendingVerification{}, err
	}
	params = j.Terms.Under(params)
	pv := types.PendingVerification{
		UnavailableSpanBlocks: params.UnavailableSpan(), MaxChunkBytes: params.MaxChunkBytes,
		JobId: j.Id, Workload: j.Workload, Indices: j.Sample.Indices, OutputRoot: j.Result.OutputRoot,
		ChunkCount: j.Result.ChunkCount, Provider: j.Winner, VerificationEnd: j.VerificationEnd,
		DatasetVersion: j.DatasetVersion, DatasetContentRoot: j.DatasetContentRoot,
		InputsCheck: j.State == types.JobState_JOB_STATE_ABORTING, ModelId: j.ModelId, DatasetId: j.DatasetId,
		ModelUri: j.ModelUri,
	}
	if p, err := q.k.Providers.Get(ctx, j.Winner); err == nil {
		pv.ProviderEndpoint = p.Endpoint
	} else if !isNotFound(err) {
		return pv, err
	}
	return pv, nil
}

// Stats implements types.QueryServer.
func (q queryServer) Stats(ctx context.Context, req *types.QueryStatsRequest) (*types.QueryStatsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	s, err := q.k.getStats(ctx)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryStatsResponse{Stats: s}, nil
}

// AllowedDenoms implements types.QueryServer.
func (q queryServer) AllowedDenoms(ctx context.Context, req *types.QueryAllowedDenomsRequest) (*types.QueryAllowedDenomsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryAllowedDenomsResponse{Denoms: p.AllowedDenoms, BondDenom: p.MinProviderBond.Denom}, nil
}
