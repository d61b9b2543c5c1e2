package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
)

type msgServer struct {
	k Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the datamarket Msg server.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k: k} }

// ListDataset implements types.MsgServer.
func (s msgServer) ListDataset(ctx context.Context, msg *types.MsgListDataset) (*types.MsgListDatasetResponse, error) {
	id, err := s.k.ListDataset(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgListDatasetResponse{DatasetId: id}, nil
}

// UpdateDataset implements types.MsgServer.
func (s msgServer) UpdateDataset(ctx context.Context, msg *types.MsgUpdateDataset) (*types.MsgUpdateDatasetResponse, error) {
	v, err := s.k.UpdateDataset(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgUpdateDatasetResponse{Version: v}, nil
}

// DelistDataset implements types.MsgServer.
func (s msgServer) DelistDataset(ctx context.Context, msg *types.MsgDelistDataset) (*types.MsgDelistDatasetResponse, error) {
	if err := s.k.DelistDataset(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgDelistDatasetResponse{}, nil
}

// PurchaseLicense implements types.MsgServer.
func (s msgServer) PurchaseLicense(ctx context.Context, msg *types.MsgPurchaseLicense) (*types.MsgPurchaseLicenseResponse, error) {
	l, err := s.k.PurchaseLicense(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgPurchaseLicenseResponse{LicenseId: l.Id, ExpiresHeight: l.ExpiresHeight}, nil
}

// RenewLicense implements types.MsgServer.
func (s msgServer) RenewLicense(ctx context.Context, msg *types.MsgRenewLicense) (*types.MsgRenewLicenseResponse, error) {
	l, err := s.k.RenewLicense(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgRenewLicenseResponse{ExpiresHeight: l.ExpiresHeight}, nil
}

// TransferLicense implements types.MsgServer.
func (s msgServer) TransferLicense(ctx context.Context, msg *types.MsgTransferLicense) (*types.MsgTransferLicenseResponse, error) {
	if err := s.k.TransferLicense(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgTransferLicenseResponse{}, nil
}

// UpdateParams implements types.MsgServer: only the authority may change the params.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != s.k.authority {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "expected authority %s, got %s", s.k.authority, msg.Authority)
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := s.k.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
