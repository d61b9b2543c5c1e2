package keeper

import (
	"context"
	"encoding/binary"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"

	"github.com/cosmos/cosmos-sdk/types/query"

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
		models, page, err := query.CollectionPaginate(ctx, q.k.Models, req.Pagination,
			func(_ uint64, m types.Model) (types.Model, error) { return m, nil })
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		return &types.QueryModelsResponse{Models: models, Pagination: page}, nil
	}
	owner, err := q.k.addressCodec.StringToBytes(req.Owner)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "owner %q: %v", req.Owner, err)
	}
	models, page, err := paginateIndex(ctx, q.k, q.k.Models.Indexes.Owner, owner, req.Pagination)
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
	models, page, err := paginateIndex(ctx, q.k, q.k.Models.Indexes.Name, req.Name, req.Pagination)
	if err != nil {
		return nil, err
	}
	return &types.QueryModelVersionsResponse{Models: models, Pagination: page}, nil
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

func queryErr(err error) error {
	if errors.Is(err, types.ErrModelNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// paginateIndex pages the models under one reference key of a Multi index
// (keyed (ref, model id)), walking only that key's range of the index. It
// follows query.PageRequest: key (the 8-byte big-endian model id to start
// at) or offset, limit (default query.DefaultLimit), count_total and reverse.
func paginateIndex[R any](ctx context.Context, k Keeper, idx *indexes.Multi[R, uint64, types.Model], ref R,
	req *query.PageRequest,
) ([]types.Model, *query.PageResponse, error) {
	if req == nil {
		req = &query.PageRequest{}
	}
	if req.Offset > 0 && len(req.Key) > 0 {
		return nil, nil, status.Error(codes.InvalidArgument, "pagination: set key or offset, not both")
	}
	limit := req.Limit
	if limit == 0 {
		limit = query.DefaultLimit
	}
	rng := collections.NewPrefixedPairRange[R, uint64](ref)
	if len(req.Key) > 0 {
		if len(req.Key) != 8 {
			return nil, nil, status.Errorf(codes.InvalidArgument, "pagination: key must be 8 bytes, got %d", len(req.Key))
		}
		start := binary.BigEndian.Uint64(req.Key)
		if req.Reverse {
			rng = rng.EndInclusive(start)
		} else {
			rng = rng.StartInclusive(start)
		}
	}
	if req.Reverse {
		rng = rng.Descending()
	}
	it, err := idx.Iterate(ctx, rng)
	if err != nil {
		return nil, nil, status.Error(codes.Internal, err.Error())
	}
	defer it.Close()

	countTotal := req.CountTotal && len(req.Key) == 0
	var (
		models []types.Model
		seen   uint64
		res    = &query.PageResponse{}
	)
	for ; it.Valid(); it.Next() {
		id, err := it.PrimaryKey()
		if err != nil {
			return nil, nil, status.Error(codes.Internal, err.Error())
		}
		seen++
		if seen <= req.Offset {
			continue
		}
		if uint64(len(models)) == limit {
			if res.NextKey == nil {
				res.NextKey = binary.BigEndian.AppendUint64(nil, id)
			}
			if !countTotal {
				break
			}
			continue
		}
		m, err := k.GetModel(ctx, id)
		if err != nil {
			return nil, nil, status.Error(codes.Internal, err.Error())
		}
		models = append(models, m)
	}
	if countTotal {
		res.Total = seen
	}
	if models == nil {
		models = []types.Model{}
	}
	return models, res, nil
}
