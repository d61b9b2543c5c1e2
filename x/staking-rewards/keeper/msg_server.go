package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the Msg service over the keeper.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

func (k msgServer) signer(field, addr string) (sdk.AccAddress, error) {
	return modkit.Signer(k.addressCodec, field, addr, types.ErrInvalidAddress)
}

// Lock implements types.MsgServer.
func (k msgServer) Lock(ctx context.Context, msg *types.MsgLock) (*types.MsgLockResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := k.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	id, err := k.CreateLock(ctx, owner, msg.Amount, msg.Duration)
	if err != nil {
		return nil, err
	}
	return &types.MsgLockResponse{LockId: id}, nil
}

// ExtendLock implements types.MsgServer.
func (k msgServer) ExtendLock(ctx context.Context, msg *types.MsgExtendLock) (*types.MsgExtendLockResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := k.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := k.Keeper.ExtendLock(ctx, owner, msg.LockId, msg.Duration); err != nil {
		return nil, err
	}
	return &types.MsgExtendLockResponse{}, nil
}

// BeginUnlock implements types.MsgServer.
func (k msgServer) BeginUnlock(ctx context.Context, msg *types.MsgBeginUnlock) (*types.MsgBeginUnlockResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := k.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	t, err := k.Keeper.BeginUnlock(ctx, owner, msg.LockId)
	if err != nil {
		return nil, err
	}
	return &types.MsgBeginUnlockResponse{UnlockTime: t}, nil
}

// Withdraw implements types.MsgServer.
func (k msgServer) Withdraw(ctx context.Context, msg *types.MsgWithdraw) (*types.MsgWithdrawResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := k.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	amount, err := k.Keeper.Withdraw(ctx, owner, msg.LockId)
	if err != nil {
		return nil, err
	}
	return &types.MsgWithdrawResponse{Amount: amount}, nil
}

// ClaimRewards implements types.MsgServer.
func (k msgServer) ClaimRewards(ctx context.Context, msg *types.MsgClaimRewards) (*types.MsgClaimRewardsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := k.signer("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	paid, err := k.Keeper.ClaimRewards(ctx, owner)
	if err != nil {
		return nil, err
	}
	return &types.MsgClaimRewardsResponse{Amount: paid}, nil
}

// UpdateParams implements types.MsgServer: only the authority may change the
// params.
func (k msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := modkit.CheckAuthority(k.authority, msg.Authority, types.ErrInvalidSigner); err != nil {
		return nil, err
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	if err := k.Keeper.UpdateParams(ctx, msg.Authority, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
