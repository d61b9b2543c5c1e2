package keeper

import (
	"context"

	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the datamarket Msg server.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{Keeper: k} }

// ListDataset implements types.MsgServer.
func (s msgServer) ListDataset(ctx context.Context, msg *types.MsgListDataset) (*types.MsgListDatasetResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidRequest); err != nil {
		return nil, err
	}
	id, err := s.Keeper.ListDataset(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgListDatasetResponse{DatasetId: id}, nil
}

// UpdateDataset implements types.MsgServer.
func (s msgServer) UpdateDataset(ctx context.Context, msg *types.MsgUpdateDataset) (*types.MsgUpdateDatasetResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidRequest); err != nil {
		return nil, err
	}
	v, err := s.Keeper.UpdateDataset(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgUpdateDatasetResponse{Version: v}, nil
}

// DelistDataset implements types.MsgServer.
func (s msgServer) DelistDataset(ctx context.Context, msg *types.MsgDelistDataset) (*types.MsgDelistDatasetResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidRequest); err != nil {
		return nil, err
	}
	if err := s.Keeper.DelistDataset(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgDelistDatasetResponse{}, nil
}

// PurchaseLicense implements types.MsgServer.
func (s msgServer) PurchaseLicense(ctx context.Context, msg *types.MsgPurchaseLicense) (*types.MsgPurchaseLicenseResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	buyer, err := modkit.Signer(s.addressCodec, "buyer", msg.Buyer, types.ErrInvalidRequest)
	if err != nil {
		return nil, err
	}
	l, err := s.Keeper.PurchaseLicense(ctx, buyer, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgPurchaseLicenseResponse{LicenseId: l.Id, ExpiresHeight: l.ExpiresHeight}, nil
}

// RenewLicense implements types.MsgServer.
func (s msgServer) RenewLicense(ctx context.Context, msg *types.MsgRenewLicense) (*types.MsgRenewLicenseResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := modkit.Signer(s.addressCodec, "licensee", msg.Licensee, types.ErrInvalidRequest); err != nil {
		return nil, err
	}
	l, err := s.Keeper.RenewLicense(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgRenewLicenseResponse{ExpiresHeight: l.ExpiresHeight}, nil
}

// TransferLicense implements types.MsgServer.
func (s msgServer) TransferLicense(ctx context.Context, msg *types.MsgTransferLicense) (*types.MsgTransferLicenseResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := modkit.Signer(s.addressCodec, "licensee", msg.Licensee, types.ErrInvalidRequest); err != nil {
		return nil, err
	}
	if _, err := modkit.Signer(s.addressCodec, "recipient", msg.Recipient, types.ErrInvalidRequest); err != nil {
		return nil, err
	}
	if err := s.Keeper.TransferLicense(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgTransferLicenseResponse{}, nil
}

// UpdateParams implements types.MsgServer: only the authority may change the params.
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
