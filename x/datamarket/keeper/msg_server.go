package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/datamarket/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the datamarket Msg server.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{Keeper: k} }

func (s msgServer) signer(field, addr string) (sdk.AccAddress, error) {
	return modkit.Signer(s.addressCodec, field, addr, types.ErrInvalidRequest)
}

// CommitContent implements types.MsgServer.
func (s msgServer) CommitContent(ctx context.Context, msg *types.MsgCommitContent) (*types.MsgCommitContentResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	sender, err := s.signer("sender", msg.Sender)
	if err != nil {
		return nil, err
	}
	listable, expires, err := s.Keeper.CommitContent(ctx, modkit.Claim{Owner: sender, Commitment: msg.RootCommitment, ContentKey: msg.RootKey},
		modkit.Claim{Owner: sender, Commitment: msg.ShaCommitment, ContentKey: msg.ShaKey},
		modkit.Claim{Owner: sender, Commitment: msg.RowsCommitment, ContentKey: msg.RowsKey})
	if err != nil {
		return nil, err
	}
	return &types.MsgCommitContentResponse{ListableHeight: listable, ExpiresHeight: expires}, nil
}

// ListDataset implements types.MsgServer.
func (s msgServer) ListDataset(ctx context.Context, msg *types.MsgListDataset) (*types.MsgListDatasetResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := s.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	id, err := s.Keeper.ListDataset(ctx, owner, msg)
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
	owner, err := s.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	v, err := s.Keeper.UpdateDataset(ctx, owner, msg)
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
	owner, err := s.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.DelistDataset(ctx, owner, msg.DatasetId); err != nil {
		return nil, err
	}
	return &types.MsgDelistDatasetResponse{}, nil
}

// PurchaseLicense implements types.MsgServer.
func (s msgServer) PurchaseLicense(ctx context.Context, msg *types.MsgPurchaseLicense) (*types.MsgPurchaseLicenseResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	buyer, err := s.signer("buyer", msg.Buyer)
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
	licensee, err := s.signer("licensee", msg.Licensee)
	if err != nil {
		return nil, err
	}
	l, err := s.Keeper.RenewLicense(ctx, licensee, msg)
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
	licensee, err := s.signer("licensee", msg.Licensee)
	if err != nil {
		return nil, err
	}
	recipient, err := s.signer("recipient", msg.Recipient)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.TransferLicense(ctx, licensee, msg.LicenseId, recipient); err != nil {
		return nil, err
	}
	return &types.MsgTransferLicenseResponse{}, nil
}

// UpdateDatasetShares implements types.MsgServer.
func (s msgServer) UpdateDatasetShares(ctx context.Context, msg *types.MsgUpdateDatasetShares) (*types.MsgUpdateDatasetSharesResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := s.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.UpdateDatasetShares(ctx, owner, msg.DatasetId, msg.Shares); err != nil {
		return nil, err
	}
	return &types.MsgUpdateDatasetSharesResponse{}, nil
}

// TransferDataset implements types.MsgServer.
func (s msgServer) TransferDataset(ctx context.Context, msg *types.MsgTransferDataset) (*types.MsgTransferDatasetResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := s.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	newOwner, err := s.signer("new_owner", msg.NewOwner)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.TransferDataset(ctx, owner, msg.DatasetId, newOwner); err != nil {
		return nil, err
	}
	return &types.MsgTransferDatasetResponse{}, nil
}

// AcceptDataset implements types.MsgServer.
func (s msgServer) AcceptDataset(ctx context.Context, msg *types.MsgAcceptDataset) (*types.MsgAcceptDatasetResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	newOwner, err := s.signer("new_owner", msg.NewOwner)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.AcceptDataset(ctx, newOwner, msg.DatasetId, msg.OfferSeq); err != nil {
		return nil, err
	}
	return &types.MsgAcceptDatasetResponse{}, nil
}

// CancelDatasetTransfer implements types.MsgServer.
func (s msgServer) CancelDatasetTransfer(ctx context.Context, msg *types.MsgCancelDatasetTransfer) (*types.MsgCancelDatasetTransferResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := s.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.CancelDatasetTransfer(ctx, owner, msg.DatasetId); err != nil {
		return nil, err
	}
	return &types.MsgCancelDatasetTransferResponse{}, nil
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
