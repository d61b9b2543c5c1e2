package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the datamarket query server.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k: k} }

// Params implements types.QueryServer.
func (q queryServer) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Dataset implements types.QueryServer.
func (q queryServer) Dataset(ctx context.Context, req *types.QueryDatasetRequest) (*types.QueryDatasetResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	d, err := q.k.GetDataset(ctx, req.Id)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryDatasetResponse{Dataset: d}, nil
}

// Datasets implements types.QueryServer: all datasets, or an owner's through
// the owner index.
func (q queryServer) Datasets(ctx context.Context, req *types.QueryDatasetsRequest) (*types.QueryDatasetsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Owner == "" {
		ds, page, err := modkit.Paginate(ctx, q.k.Datasets, req.Pagination,
			func(_ uint64, d types.Dataset) (types.Dataset, error) { return d, nil })
		if err != nil {
			return nil, err
		}
		return &types.QueryDatasetsResponse{Datasets: ds, Pagination: page}, nil
	}
	_, owner, err := q.k.canonical("owner", req.Owner)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	ds, page, err := modkit.PaginateRef(ctx, q.k.datasetsByOwnerView, owner, req.Pagination, q.k.Datasets.Get)
	if err != nil {
		return nil, err
	}
	return &types.QueryDatasetsResponse{Datasets: ds, Pagination: page}, nil
}

// DatasetVersion implements types.QueryServer.
func (q queryServer) DatasetVersion(ctx context.Context, req *types.QueryDatasetVersionRequest) (*types.QueryDatasetVersionResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	v, err := q.k.GetDatasetVersion(ctx, req.DatasetId, req.Version)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryDatasetVersionResponse{DatasetVersion: v}, nil
}

// License implements types.QueryServer.
func (q queryServer) License(ctx context.Context, req *types.QueryLicenseRequest) (*types.QueryLicenseResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	l, err := q.k.GetLicense(ctx, req.Id)
	if err != nil {
		return nil, queryErr(err)
	}
	return &types.QueryLicenseResponse{License: l}, nil
}

// Licenses implements types.QueryServer: all licences, or a licensee's
// through the licensee index.
func (q queryServer) Licenses(ctx context.Context, req *types.QueryLicensesRequest) (*types.QueryLicensesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Licensee == "" {
		ls, page, err := modkit.Paginate(ctx, q.k.Licenses, req.Pagination,
			func(_ uint64, l types.License) (types.License, error) { return l, nil })
		if err != nil {
			return nil, err
		}
		return &types.QueryLicensesResponse{Licenses: ls, Pagination: page}, nil
	}
	_, licensee, err := q.k.canonical("licensee", req.Licensee)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	ls, page, err := modkit.PaginateRef(ctx, q.k.licensesByLicenseeView, licensee, req.Pagination, q.k.Licenses.Get)
	if err != nil {
		return nil, err
	}
	return &types.QueryLicensesResponse{Licenses: ls, Pagination: page}, nil
}

// HasAccess implements types.QueryServer.
func (q queryServer) HasAccess(ctx context.Context, req *types.QueryHasAccessRequest) (*types.QueryHasAccessResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := q.k.addressCodec.StringToBytes(req.Address); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "address: %v", err)
	}
	res, err := q.k.HasAccess(ctx, req.DatasetId, req.Address, req.Version)
	if err != nil {
		return nil, queryErr(err)
	}
	return res, nil
}

// ContentCommit implements types.QueryServer.
func (q queryServer) ContentCommit(ctx context.Context, req *types.QueryContentCommitRequest) (*types.QueryContentCommitResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	c, err := q.k.ContentCommits.Query(ctx, req.Owner, req.Commitment, types.ErrInvalidRequest)
	if err != nil {
		return nil, err
	}
	return &types.QueryContentCommitResponse{ContentCommit: c}, nil
}

// queryErr maps a keeper error to a gRPC status: what does not exist is
// NotFound, anything else Internal.
func queryErr(err error) error {
	switch {
	case errors.Is(err, types.ErrDatasetNotFound), errors.Is(err, types.ErrVersionNotFound), errors.Is(err, types.ErrLicenseNotFound):
		return status.Error(codes.NotFound, err.Error())
	default:
		return status.Error(codes.Internal, err.Error())
	}
}
