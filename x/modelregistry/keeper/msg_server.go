package keeper

import (
	"bytes"
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the module's Msg server.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{Keeper: k} }

// checkShares refuses shares that could never be paid: addresses that the
// bank keeper does not let receive coins (module accounts).
func (k Keeper) checkShares(shares []common.Share) error {
	for i, s := range shares {
		addr, err := k.addressCodec.StringToBytes(s.Address)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidShares, "share %d address %q: %v", i, s.Address, err)
		}
		if k.bankKeeper.BlockedAddr(addr) {
			return errorsmod.Wrapf(types.ErrInvalidShares, "share %d address %s may not receive funds", i, s.Address)
		}
	}
	return nil
}

// ownedModel loads a model and checks that signer owns it.
func (k Keeper) ownedModel(ctx context.Context, id uint64, signer string) (types.Model, error) {
	m, err := k.GetModel(ctx, id)
	if err != nil {
		return m, err
	}
	if !k.sameAddress(m.Owner, signer) {
		return m, errorsmod.Wrapf(types.ErrNotOwner, "model %d is owned by %s, not %s", id, m.Owner, signer)
	}
	return m, nil
}

func (k Keeper) sameAddress(a, b string) bool {
	x, err1 := k.addressCodec.StringToBytes(a)
	y, err2 := k.addressCodec.StringToBytes(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// newModel validates and stores a new model version and returns it.
func (k Keeper) newModel(ctx context.Context, owner, name, version, arch, sha, uri string, in, out uint64, license string,
	feePerJob, feePer1k sdk.Coins, shares []common.Share,
) (types.Model, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Model{}, errorsmod.Wrap(err, "read params")
	}
	if err := params.CheckLengths(name, version, uri, license); err != nil {
		return types.Model{}, err
	}
	if err := k.checkShares(shares); err != nil {
		return types.Model{}, err
	}
	if _, err := k.Models.Indexes.NameVersion.MatchExact(ctx, collections.Join(name, version)); err == nil {
		return types.Model{}, errorsmod.Wrapf(types.ErrDuplicateVersion, "model %s version %s", name, version)
	} else if !errors.Is(err, collections.ErrNotFound) {
		return types.Model{}, err
	}
	ownerBz, err := k.addressCodec.StringToBytes(owner)
	if err != nil {
		return types.Model{}, errorsmod.Wrapf(types.ErrInvalidAddress, "owner %q: %v", owner, err)
	}
	if owner, err = k.addressCodec.BytesToString(ownerBz); err != nil {
		return types.Model{}, err
	}
	id, err := k.nextID(ctx)
	if err != nil {
		return types.Model{}, err
	}
	m := types.Model{
		Id: id, Owner: owner, Name: name, Version: version, Architecture: arch, Sha256: sha, Uri: uri,
		InputDim: in, OutputDim: out, License: license, FeePerJob: feePerJob, FeePer1kRows: feePer1k,
		Shares: shares, Status: types.MODEL_STATUS_ACTIVE, Usage: types.Usage{Revenue: sdk.NewCoins()},
		CreatedHeight: sdk.UnwrapSDKContext(ctx).BlockHeight(),
	}
	if err := k.Models.Set(ctx, id, m); err != nil {
		return types.Model{}, errorsmod.Wrapf(err, "store model %d", id)
	}
	return m, nil
}

// RegisterModel registers the first version of a new model name.
func (s msgServer) RegisterModel(ctx context.Context, msg *types.MsgRegisterModel) (*types.MsgRegisterModelResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if _, err := s.Models.Indexes.NameVersion.MatchExact(ctx, collections.Join(msg.Name, msg.Version)); err == nil {
		return nil, errorsmod.Wrapf(types.ErrDuplicateVersion, "model %s version %s", msg.Name, msg.Version)
	}
	if latest, err := s.LatestVersion(ctx, msg.Name); err == nil {
		return nil, errorsmod.Wrapf(types.ErrNameTaken, "model name %q belongs to %s: publish a new version with MsgPublishVersion", msg.Name, latest.Owner)
	} else if !errors.Is(err, types.ErrNameNotFound) {
		return nil, err
	}
	m, err := s.newModel(ctx, msg.Owner, msg.Name, msg.Version, msg.Architecture, msg.Sha256, msg.Uri,
		msg.InputDim, msg.OutputDim, msg.License, msg.FeePerJob, msg.FeePer1kRows, msg.Shares)
	if err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventModelRegistered{
		ModelId: m.Id, Owner: m.Owner, Name: m.Name, Version: m.Version, Sha256: m.Sha256,
	}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterModelResponse{ModelId: m.Id}, nil
}

// PublishVersion publishes a new version of a name whose latest version the signer owns.
func (s msgServer) PublishVersion(ctx context.Context, msg *types.MsgPublishVersion) (*types.MsgPublishVersionResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	latest, err := s.LatestVersion(ctx, msg.Name)
	if err != nil {
		return nil, err
	}
	if !s.sameAddress(latest.Owner, msg.Owner) {
		return nil, errorsmod.Wrapf(types.ErrNotOwner, "model name %q: its latest version %s (model %d) is owned by %s, not %s",
			msg.Name, latest.Version, latest.Id, latest.Owner, msg.Owner)
	}
	m, err := s.newModel(ctx, msg.Owner, msg.Name, msg.Version, msg.Architecture, msg.Sha256, msg.Uri,
		msg.InputDim, msg.OutputDim, msg.License, msg.FeePerJob, msg.FeePer1kRows, msg.Shares)
	if err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventVersionPublished{
		ModelId: m.Id, Owner: m.Owner, Name: m.Name, Version: m.Version, Sha256: m.Sha256, PreviousModelId: latest.Id,
	}); err != nil {
		return nil, err
	}
	return &types.MsgPublishVersionResponse{ModelId: m.Id}, nil
}

// UpdateFees sets a model's fees; jobs created afterwards use them.
func (s msgServer) UpdateFees(ctx context.Context, msg *types.MsgUpdateFees) (*types.MsgUpdateFeesResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	m, err := s.ownedModel(ctx, msg.ModelId, msg.Owner)
	if err != nil {
		return nil, err
	}
	if m.Status == types.MODEL_STATUS_DEPRECATED {
		return nil, errorsmod.Wrapf(types.ErrDeprecated, "model %d: fees of a deprecated model cannot change", m.Id)
	}
	m.FeePerJob, m.FeePer1kRows = msg.FeePerJob, msg.FeePer1kRows
	if err := s.Models.Set(ctx, m.Id, m); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventFeesUpdated{
		ModelId: m.Id, FeePerJob: m.FeePerJob, FeePer1kRows: m.FeePer1kRows,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateFeesResponse{}, nil
}

// UpdateShares replaces a model's shares; jobs created afterwards use them.
func (s msgServer) UpdateShares(ctx context.Context, msg *types.MsgUpdateShares) (*types.MsgUpdateSharesResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	m, err := s.ownedModel(ctx, msg.ModelId, msg.Owner)
	if err != nil {
		return nil, err
	}
	if m.Status == types.MODEL_STATUS_DEPRECATED {
		return nil, errorsmod.Wrapf(types.ErrDeprecated, "model %d: shares of a deprecated model cannot change", m.Id)
	}
	if err := s.checkShares(msg.Shares); err != nil {
		return nil, err
	}
	m.Shares = msg.Shares
	if err := s.Models.Set(ctx, m.Id, m); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventSharesUpdated{
		ModelId: m.Id, Shares: m.Shares,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateSharesResponse{}, nil
}

// DeprecateModel stops new jobs from using a model.
func (s msgServer) DeprecateModel(ctx context.Context, msg *types.MsgDeprecateModel) (*types.MsgDeprecateModelResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	m, err := s.ownedModel(ctx, msg.ModelId, msg.Owner)
	if err != nil {
		return nil, err
	}
	if m.Status == types.MODEL_STATUS_DEPRECATED {
		return nil, errorsmod.Wrapf(types.ErrDeprecated, "model %d is already deprecated", m.Id)
	}
	m.Status = types.MODEL_STATUS_DEPRECATED
	if err := s.Models.Set(ctx, m.Id, m); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventModelDeprecated{ModelId: m.Id}); err != nil {
		return nil, err
	}
	return &types.MsgDeprecateModelResponse{}, nil
}

// TransferOwnership gives a model to a new owner. Whoever owns a name's latest
// version may publish its next version.
func (s msgServer) TransferOwnership(ctx context.Context, msg *types.MsgTransferOwnership) (*types.MsgTransferOwnershipResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	m, err := s.ownedModel(ctx, msg.ModelId, msg.Owner)
	if err != nil {
		return nil, err
	}
	newOwner, err := s.addressCodec.StringToBytes(msg.NewOwner)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "new_owner %q: %v", msg.NewOwner, err)
	}
	previous := m.Owner
	if m.Owner, err = s.addressCodec.BytesToString(newOwner); err != nil {
		return nil, err
	}
	if s.sameAddress(previous, m.Owner) {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "model %d is already owned by %s", m.Id, previous)
	}
	if err := s.Models.Set(ctx, m.Id, m); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventOwnershipTransferred{
		ModelId: m.Id, PreviousOwner: previous, NewOwner: m.Owner,
	}); err != nil {
		return nil, err
	}
	return &types.MsgTransferOwnershipResponse{}, nil
}

// UpdateParams sets the params; only the authority may.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if !s.sameAddress(msg.Authority, s.authority) {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", s.authority, msg.Authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := s.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
