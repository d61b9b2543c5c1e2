package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// VerifierEndpoints implements types.QueryServer: the validators'
// verification sidecar URLs in operator-address (byte) order, paged as
// every list query here (modkit.Paginate: limit and offset bounded).
func (q queryServer) VerifierEndpoints(ctx context.Context, req *types.QueryVerifierEndpointsRequest) (*types.QueryVerifierEndpointsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	out, page, err := modkit.Paginate(ctx, q.k.VerifierEndpoints, req.Pagination,
		func(val sdk.ValAddress, endpoint string) (types.VerifierEndpoint, error) {
			valoper, err := q.k.valoperString(val)
			return types.VerifierEndpoint{ValidatorAddress: valoper, Endpoint: endpoint}, err
		})
	if err != nil {
		return nil, err
	}
	return &types.QueryVerifierEndpointsResponse{Endpoints: out, Pagination: page}, nil
}

// VerifierEndpoint implements types.QueryServer: a validator's verification
// sidecar URL (NotFound when it set none), by operator address in any
// spelling bech32 reads; the answer gives the canonical one.
func (q queryServer) VerifierEndpoint(ctx context.Context, req *types.QueryVerifierEndpointRequest) (*types.QueryVerifierEndpointResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if q.k.StakingKeeper == nil {
		return nil, status.Error(codes.Unavailable, "no staking keeper")
	}
	val, err := q.k.StakingKeeper.ValidatorAddressCodec().StringToBytes(req.ValidatorAddress)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "validator_address %q: %v", req.ValidatorAddress, err)
	}
	endpoint, err := q.k.VerifierEndpoints.Get(ctx, val)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return nil, status.Errorf(codes.NotFound, "validator %s has no verifier endpoint", req.ValidatorAddress)
	case err != nil:
		return nil, status.Error(codes.Internal, err.Error())
	}
	valoper, err := q.k.valoperString(val)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryVerifierEndpointResponse{Endpoint: types.VerifierEndpoint{ValidatorAddress: valoper, Endpoint: endpoint}}, nil
}
