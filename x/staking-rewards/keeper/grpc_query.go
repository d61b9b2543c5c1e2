package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the Query service over the keeper.
func NewQueryServerImpl(k Keeper) types.QueryServer {
	return queryServer{k: k}
}

func (q queryServer) address(field, addr string) (sdk.AccAddress, error) {
	bz, err := q.k.addressCodec.StringToBytes(addr)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid %s %q: %v", field, addr, err)
	}
	return bz, nil
}

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

// Lock implements types.QueryServer.
func (q queryServer) Lock(ctx context.Context, req *types.QueryLockRequest) (*types.QueryLockResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	l, err := q.k.Locks.Get(ctx, req.LockId)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "lock %d not found", req.LockId)
	}
	if err == nil {
		l, err = q.k.withOwnerPaid(ctx, l)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryLockResponse{Lock: l}, nil
}

// Locks implements types.QueryServer: the owner's locks in id order,
// paginated over the owner index.
func (q queryServer) Locks(ctx context.Context, req *types.QueryLocksRequest) (*types.QueryLocksResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := q.address("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	locks, page, err := modkit.PaginateRef(ctx, q.k.locksByOwner, owner, req.Pagination, func(ctx context.Context, id uint64) (types.Lock, error) {
		l, err := q.k.Locks.Get(ctx, id)
		if err != nil {
			return l, err
		}
		return q.k.withOwnerPaid(ctx, l)
	})
	if err != nil {
		return nil, err
	}
	return &types.QueryLocksResponse{Locks: locks, Pagination: page}, nil
}

// PendingRewards implements types.QueryServer.
func (q queryServer) PendingRewards(ctx context.Context, req *types.QueryPendingRewardsRequest) (*types.QueryPendingRewardsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := q.address("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	rewards, err := q.k.PendingRewards(ctx, owner)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryPendingRewardsResponse{Rewards: rewards}, nil
}

// VotingPower implements types.QueryServer.
func (q queryServer) VotingPower(ctx context.Context, req *types.QueryVotingPowerRequest) (*types.QueryVotingPowerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	addr, err := q.address("address", req.Address)
	if err != nil {
		return nil, err
	}
	delegated, err := q.k.DelegatedVotingPower(ctx, addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	w, err := q.k.OwnerVoteWeightOf(ctx, addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryVotingPowerResponse{
		Delegated:  delegated,
		LockWeight: w,
		Total:      delegated.Add(math.LegacyNewDecFromInt(w)),
	}, nil
}

// Totals implements types.QueryServer.
func (q queryServer) Totals(ctx context.Context, req *types.QueryTotalsRequest) (*types.QueryTotalsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	t, err := q.k.GetTotals(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	index, err := q.k.GetRewardIndex(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	accounted, err := q.k.GetAccounted(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	bonded, err := q.k.StakingKeeper.TotalBondedTokens(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	denoms, err := q.k.RewardedDenoms(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryTotalsResponse{
		Totals:           t,
		RewardIndex:      index,
		AccountedRewards: accounted,
		RewardPool:       q.k.rewardPool(ctx, denoms),
		BondedTokens:     bonded,
	}, nil
}
