package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the module's Msg service over the keeper. Each
// handler validates the message, decodes its signer with the address codec,
// and calls one keeper method.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// RegisterProvider implements types.MsgServer.
func (s msgServer) RegisterProvider(ctx context.Context, msg *types.MsgRegisterProvider) (*types.MsgRegisterProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	op, err := modkit.Signer(s.addressCodec, "operator", msg.Operator, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.RegisterProvider(ctx, op, msg.Moniker, msg.Endpoint, msg.Hardware, msg.Bond); err != nil {
		return nil, err
	}
	return &types.MsgRegisterProviderResponse{}, nil
}

// UpdateProvider implements types.MsgServer.
func (s msgServer) UpdateProvider(ctx context.Context, msg *types.MsgUpdateProvider) (*types.MsgUpdateProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	op, err := modkit.Signer(s.addressCodec, "operator", msg.Operator, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.UpdateProvider(ctx, op, msg.Moniker, msg.Endpoint, msg.Hardware, msg.BondAdded()); err != nil {
		return nil, err
	}
	return &types.MsgUpdateProviderResponse{}, nil
}

// UnbondProvider implements types.MsgServer.
func (s msgServer) UnbondProvider(ctx context.Context, msg *types.MsgUnbondProvider) (*types.MsgUnbondProviderResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	op, err := modkit.Signer(s.addressCodec, "operator", msg.Operator, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	end, err := s.Keeper.UnbondProvider(ctx, op)
	if err != nil {
		return nil, err
	}
	return &types.MsgUnbondProviderResponse{UnbondingEnd: end}, nil
}

// PostModelBond implements types.MsgServer.
func (s msgServer) PostModelBond(ctx context.Context, msg *types.MsgPostModelBond) (*types.MsgPostModelBondResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	b, err := s.Keeper.PostModelBond(ctx, owner, msg.Amount)
	if err != nil {
		return nil, err
	}
	return &types.MsgPostModelBondResponse{Bond: b}, nil
}

// WithdrawModelBond implements types.MsgServer.
func (s msgServer) WithdrawModelBond(ctx context.Context, msg *types.MsgWithdrawModelBond) (*types.MsgWithdrawModelBondResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := modkit.Signer(s.addressCodec, "owner", msg.Owner, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	b, err := s.Keeper.WithdrawModelBond(ctx, owner, msg.Amount)
	if err != nil {
		return nil, err
	}
	return &types.MsgWithdrawModelBondResponse{Bond: b}, nil
}

// CreateJob implements types.MsgServer.
func (s msgServer) CreateJob(ctx context.Context, msg *types.MsgCreateJob) (*types.MsgCreateJobResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	requester, err := modkit.Signer(s.addressCodec, "requester", msg.Requester, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	// The job's block work, paid here (types.JobBlockGas).
	sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(msg.Workload.BlockGas(), "compute: job block work")
	id, err := s.Keeper.CreateJob(ctx, requester, msg)
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
	requester, err := modkit.Signer(s.addressCodec, "requester", msg.Requester, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.CancelJob(ctx, requester, msg.JobId); err != nil {
		return nil, err
	}
	return &types.MsgCancelJobResponse{}, nil
}

// CommitBid implements types.MsgServer.
func (s msgServer) CommitBid(ctx context.Context, msg *types.MsgCommitBid) (*types.MsgCommitBidResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	provider, err := modkit.Signer(s.addressCodec, "provider", msg.Provider, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	// The commitment's handling at the close, paid here (types.CommitBlockGas).
	sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(types.CommitBlockGas, "compute: commitment block work")
	if err := s.Keeper.CommitBid(ctx, provider, msg.JobId, msg.Commitment); err != nil {
		return nil, err
	}
	return &types.MsgCommitBidResponse{}, nil
}

// RevealBid implements types.MsgServer.
func (s msgServer) RevealBid(ctx context.Context, msg *types.MsgRevealBid) (*types.MsgRevealBidResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	provider, err := modkit.Signer(s.addressCodec, "provider", msg.Provider, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.RevealBid(ctx, provider, msg.JobId, msg.Price, msg.Salt); err != nil {
		return nil, err
	}
	return &types.MsgRevealBidResponse{}, nil
}

// SubmitResult implements types.MsgServer.
func (s msgServer) SubmitResult(ctx context.Context, msg *types.MsgSubmitResult) (*types.MsgSubmitResultResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	provider, err := modkit.Signer(s.addressCodec, "provider", msg.Provider, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.SubmitResult(ctx, provider, msg.JobId, msg.OutputRoot, msg.ChunkCount); err != nil {
		return nil, err
	}
	return &types.MsgSubmitResultResponse{}, nil
}

// DisputeResult implements types.MsgServer.
func (s msgServer) DisputeResult(ctx context.Context, msg *types.MsgDisputeResult) (*types.MsgDisputeResultResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	requester, err := modkit.Signer(s.addressCodec, "requester", msg.Requester, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.DisputeResult(ctx, requester, msg.JobId, msg.ChunkIndices, msg.SampleCommitment); err != nil {
		return nil, err
	}
	return &types.MsgDisputeResultResponse{}, nil
}

// RevealSampleSecret implements types.MsgServer.
func (s msgServer) RevealSampleSecret(ctx context.Context, msg *types.MsgRevealSampleSecret) (*types.MsgRevealSampleSecretResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	requester, err := modkit.Signer(s.addressCodec, "requester", msg.Requester, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.RevealSampleSecret(ctx, requester, msg.JobId, msg.Secret); err != nil {
		return nil, err
	}
	return &types.MsgRevealSampleSecretResponse{}, nil
}

// AbortJob implements types.MsgServer.
func (s msgServer) AbortJob(ctx context.Context, msg *types.MsgAbortJob) (*types.MsgAbortJobResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	provider, err := modkit.Signer(s.addressCodec, "provider", msg.Provider, types.ErrInvalidAddress)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.AbortJob(ctx, provider, msg.JobId, msg.Reason); err != nil {
		return nil, err
	}
	return &types.MsgAbortJobResponse{}, nil
}

// UpdateParams implements types.MsgServer: only the authority may change
// params. The authority is checked before the message is validated.
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
