package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/modelregistry/types"
)

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the module's Query server.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k: k} }

// Params returns the module params.
func (q queryServer) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Model returns one model by id.
func (q queryServer) Model(ctx context.Context, req *types.QueryModelRequest) (*types.QueryModelResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	m, err := q.k.GetModel(ctx, req.Id)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryModelResponse{Model: m}, nil
}

// Models lists all models by id, or an owner's models through the owner index.
func (q queryServer) Models(ctx context.Context, req *types.QueryModelsRequest) (*types.QueryModelsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Owner == "" {
		models, page, err := modkit.Paginate(ctx, q.k.Models, req.Pagination,
			func(_ uint64, m types.Model) (types.Model, error) { return m, nil })
		if err != nil {
			return nil, err
		}
		return &types.QueryModelsResponse{Models: models, Pagination: page}, nil
	}
	owner, err := q.k.addressCodec.StringToBytes(req.Owner)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "owner %q: %v", req.Owner, err)
	}
	if err := checkPageKey(req.Pagination); err != nil {
		return nil, err
	}
	models, page, err := modkit.PaginateRef(ctx, q.k.modelsByOwner, sdk.AccAddress(owner), req.Pagination, q.k.GetModel)
	if err != nil {
		return nil, err
	}
	return &types.QueryModelsResponse{Models: models, Pagination: page}, nil
}

// ModelVersions lists every version of a name, oldest first, through the name index.
func (q queryServer) ModelVersions(ctx context.Context, req *types.QueryModelVersionsRequest) (*types.QueryModelVersionsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if err := types.ValidateName(req.Name); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := checkPageKey(req.Pagination); err != nil {
		return nil, err
	}
	models, page, err := modkit.PaginateRef(ctx, q.k.modelsByName, req.Name, req.Pagination, q.k.GetModel)
	if err != nil {
		return nil, err
	}
	return &types.QueryModelVersionsResponse{Models: models, Pagination: page}, nil
}

// checkPageKey refuses a page key that is not a model id: under one index
// reference, a page key (and a next_key) is the 8-byte big-endian model id.
func checkPageKey(req *query.PageRequest) error {
	if req != nil && len(req.Key) > 0 && len(req.Key) != 8 {
		return status.Errorf(codes.InvalidArgument, "pagination: key must be 8 bytes, got %d", len(req.Key))
	}
	return nil
}

// Usage returns a model's usage counters.
func (q queryServer) Usage(ctx context.Context, req *types.QueryUsageRequest) (*types.QueryUsageResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	m, err := q.k.GetModel(ctx, req.ModelId)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryUsageResponse{ModelId: m.Id, Usage: m.Usage}, nil
}

// WeightsCommit returns a commitment not yet used nor expired.
func (q queryServer) WeightsCommit(ctx context.Context, req *types.QueryWeightsCommitRequest) (*types.QueryWeightsCommitResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	c, err := q.k.WeightsCommits.Query(ctx, req.Owner, req.Commitment, types.ErrInvalidModel)
	if err != nil {
		return nil, err
	}
	return &types.QueryWeightsCommitResponse{WeightsCommit: c}, nil
}

func queryErr(err error) error {
	if errors.Is(err, types.ErrModelNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}
