package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/aichain/aichain/x/compute/types"
)

// Beacon implements types.QueryServer: the final beacon of a height, or its
// open round and the shares recorded so far (a walk of that one height's
// shares, at most its set's validators), with the chain's restart tag.
func (q queryServer) Beacon(ctx context.Context, req *types.QueryBeaconRequest) (*types.QueryBeaconResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	tag, err := q.k.BeaconSigningTag(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	res := &types.QueryBeaconResponse{SigningTag: tag}
	b, err := q.k.Beacons.Get(ctx, req.Height)
	switch {
	case err == nil:
		res.Beacon = &b
		return res, nil
	case !errors.Is(err, collections.ErrNotFound):
		return nil, status.Error(codes.Internal, err.Error())
	}
	r, err := q.k.BeaconRounds.Get(ctx, req.Height)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return nil, status.Errorf(codes.NotFound, "no beacon of height %d: not reached, not opened (no vote extensions or beacon off), or pruned", req.Height)
	case err != nil:
		return nil, status.Error(codes.Internal, err.Error())
	}
	res.Round = &r
	it, err := q.k.BeaconShares.Iterate(ctx, collections.NewPrefixedPairRange[int64, []byte](req.Height))
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		res.RecordedShares++
	}
	return res, nil
}

// BeaconKey implements types.QueryServer: a validator's beacon key, found
// by its consensus address (the validator must be known to x/staking).
func (q queryServer) BeaconKey(ctx context.Context, req *types.QueryBeaconKeyRequest) (*types.QueryBeaconKeyResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	cons, _, err := q.k.stakingConsAddress(ctx, req.ValidatorAddress)
	switch {
	case types.ErrInvalidAddress.Is(err):
		return nil, status.Error(codes.InvalidArgument, err.Error())
	case err != nil:
		return nil, status.Error(codes.NotFound, err.Error())
	}
	key, err := q.k.BeaconKeys.Get(ctx, cons)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return nil, status.Errorf(codes.NotFound, "validator %s has no beacon key", req.ValidatorAddress)
	case err != nil:
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryBeaconKeyResponse{Key: key, ConsAddress: cons}, nil
}
