package keeper

import (
	"context"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/modelregistry/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the module's Msg server.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{Keeper: k} }

// CommitWeights implements types.MsgServer.
func (s msgServer) CommitWeights(ctx context.Context, msg *types.MsgCommitWeights) (*types.MsgCommitWeightsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	sender, err := modkit.Signer(s.addressCodec, "sender", msg.Sender, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	registrable, expires, err := s.Keeper.CommitWeights(ctx, sender, msg.Commitment, msg.WeightsKey, msg.WeightsCommitment)
	if err != nil {
		return nil, err
	}
	return &types.MsgCommitWeightsResponse{RegistrableHeight: registrable, ExpiresHeight: expires}, nil
}

// RegisterModel implements types.MsgServer.
func (s msgServer) RegisterModel(ctx context.Context, msg *types.MsgRegisterModel) (*types.MsgRegisterModelResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	id, err := s.Keeper.RegisterModel(ctx, owner, msg.Spec())
	if err != nil {
		return nil, err
	}
	return &types.MsgRegisterModelResponse{ModelId: id}, nil
}

// PublishVersion implements types.MsgServer.
func (s msgServer) PublishVersion(ctx context.Context, msg *types.MsgPublishVersion) (*types.MsgPublishVersionResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	id, err := s.Keeper.PublishVersion(ctx, owner, msg.Spec())
	if err != nil {
		return nil, err
	}
	return &types.MsgPublishVersionResponse{ModelId: id}, nil
}

// UpdateFees implements types.MsgServer.
func (s msgServer) UpdateFees(ctx context.Context, msg *types.MsgUpdateFees) (*types.MsgUpdateFeesResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.UpdateFees(ctx, owner, msg.ModelId, msg.FeePerJob, msg.FeePer1kRows); err != nil {
		return nil, err
	}
	return &types.MsgUpdateFeesResponse{}, nil
}

// UpdateUri implements types.MsgServer.
func (s msgServer) UpdateUri(ctx context.Context, msg *types.MsgUpdateUri) (*types.MsgUpdateUriResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.UpdateUri(ctx, owner, msg.ModelId, msg.Uri); err != nil {
		return nil, err
	}
	return &types.MsgUpdateUriResponse{}, nil
}

// UpdateShares implements types.MsgServer.
func (s msgServer) UpdateShares(ctx context.Context, msg *types.MsgUpdateShares) (*types.MsgUpdateSharesResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.UpdateShares(ctx, owner, msg.ModelId, msg.Shares); err != nil {
		return nil, err
	}
	return &types.MsgUpdateSharesResponse{}, nil
}

// DeprecateModel implements types.MsgServer.
func (s msgServer) DeprecateModel(ctx context.Context, msg *types.MsgDeprecateModel) (*types.MsgDeprecateModelResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.DeprecateModel(ctx, owner, msg.ModelId); err != nil {
		return nil, err
	}
	return &types.MsgDeprecateModelResponse{}, nil
}

// TransferOwnership implements types.MsgServer.
func (s msgServer) TransferOwnership(ctx context.Context, msg *types.MsgTransferOwnership) (*types.MsgTransferOwnershipResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	newOwner, err := modkit.Signer(s.addressCodec, "new_owner", msg.NewOwner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.TransferOwnership(ctx, owner, msg.ModelId, newOwner); err != nil {
		return nil, err
	}
	return &types.MsgTransferOwnershipResponse{}, nil
}

// AcceptOwnership implements types.MsgServer.
func (s msgServer) AcceptOwnership(ctx context.Context, msg *types.MsgAcceptOwnership) (*types.MsgAcceptOwnershipResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	newOwner, err := modkit.Signer(s.addressCodec, "new_owner", msg.NewOwner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.AcceptOwnership(ctx, newOwner, msg.ModelId, msg.OfferSeq); err != nil {
		return nil, err
	}
	return &types.MsgAcceptOwnershipResponse{}, nil
}

// CancelOwnershipTransfer implements types.MsgServer.
func (s msgServer) CancelOwnershipTransfer(ctx context.Context, msg *types.MsgCancelOwnershipTransfer) (*types.MsgCancelOwnershipTransferResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.CancelOwnershipTransfer(ctx, owner, msg.ModelId); err != nil {
		return nil, err
	}
	return &types.MsgCancelOwnershipTransferResponse{}, nil
}

// UpdateParams implements types.MsgServer: only the authority may change the
// params.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := modkit.CheckAuthority(s.authority, msg.Authority, types.ErrInvalidSigner); err != nil {
		return nil, err
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.Keeper.UpdateParams(ctx, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
