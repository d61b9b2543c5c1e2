package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the module's Msg service over the keeper.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return &msgServer{Keeper: k}
}

// RegisterProvider implements types.MsgServer.
func (s msgServer) RegisterProvider(ctx context.Context, msg *types.MsgRegisterProvider) (*types.MsgRegisterProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.RegisterProvider(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgRegisterProviderResponse{}, nil
}

// UpdateProvider implements types.MsgServer.
func (s msgServer) UpdateProvider(ctx context.Context, msg *types.MsgUpdateProvider) (*types.MsgUpdateProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.UpdateProvider(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgUpdateProviderResponse{}, nil
}

// UnbondProvider implements types.MsgServer.
func (s msgServer) UnbondProvider(ctx context.Context, msg *types.MsgUnbondProvider) (*types.MsgUnbondProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	end, err := s.Keeper.UnbondProvider(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgUnbondProviderResponse{UnbondingEnd: end}, nil
}

// CreateJob implements types.MsgServer.
func (s msgServer) CreateJob(ctx context.Context, msg *types.MsgCreateJob) (*types.MsgCreateJobResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	id, err := s.Keeper.CreateJob(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateJobResponse{JobId: id}, nil
}

// CancelJob implements types.MsgServer.
func (s msgServer) CancelJob(ctx context.Context, msg *types.MsgCancelJob) (*types.MsgCancelJobResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.CancelJob(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgCancelJobResponse{}, nil
}

// CommitBid implements types.MsgServer.
func (s msgServer) CommitBid(ctx context.Context, msg *types.MsgCommitBid) (*types.MsgCommitBidResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.CommitBid(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgCommitBidResponse{}, nil
}

// RevealBid implements types.MsgServer.
func (s msgServer) RevealBid(ctx context.Context, msg *types.MsgRevealBid) (*types.MsgRevealBidResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.RevealBid(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgRevealBidResponse{}, nil
}

// SubmitResult implements types.MsgServer.
func (s msgServer) SubmitResult(ctx context.Context, msg *types.MsgSubmitResult) (*types.MsgSubmitResultResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.SubmitResult(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgSubmitResultResponse{}, nil
}

// DisputeResult implements types.MsgServer.
func (s msgServer) DisputeResult(ctx context.Context, msg *types.MsgDisputeResult) (*types.MsgDisputeResultResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.DisputeResult(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgDisputeResultResponse{}, nil
}

// UpdateParams implements types.MsgServer: only the authority may change params.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != s.authority {
		return nil, types.ErrInvalidSigner.Wrapf("expected %s, got %s", s.authority, msg.Authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := s.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventParamsUpdated{Authority: msg.Authority}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
