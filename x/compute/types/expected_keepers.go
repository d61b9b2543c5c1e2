package types

import (
	"context"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/types/common"
)

// AccountKeeper is what x/compute needs from x/auth.
type AccountKeeper interface {
	// AddressCodec is the chain's account address codec (bech32 "aic").
	AddressCodec() address.Codec
	GetModuleAddress(moduleName string) sdk.AccAddress
}

// BankKeeper is what x/compute needs from x/bank.
type BankKeeper interface {
	// InputOutputCoins moves coins from one address to several (modkit.SendMany).
	InputOutputCoins(ctx context.Context, input banktypes.Input, outputs []banktypes.Output) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
	BurnCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
	GetAllBalances(ctx context.Context, addr sdk.AccAddress) sdk.Coins
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
	LockedCoins(ctx context.Context, addr sdk.AccAddress) sdk.Coins
}

// ModelKeeper is what x/compute needs from x/modelregistry.
type ModelKeeper interface {
	// ModelTermsForJob returns the model's shape and the fee a job over `rows` dataset rows escrows, with the share snapshot it will be paid to; an error if the model does not exist, is deprecated, or is not mlp-f32.
	ModelTermsForJob(ctx context.Context, modelID uint64, rows uint64) (common.ModelTerms, error)
	// PlatformFeeBps is the platform_fee_bps in force, recorded on a job when it is created (JobParamTerms).
	PlatformFeeBps(ctx context.Context) (uint32, error)
	// PayModelFeeAt pays a settled job's model fee out of fromModule's account (platformFeeBps, the job's, to the reward pool, the rest over the shares) and records usage (one job, rows, revenue).
	PayModelFeeAt(ctx context.Context, modelID uint64, fromModule string, fee sdk.Coins, platformFeeBps uint32, shares []common.Share, rows uint64) error
}

// DatasetKeeper is what x/compute needs from x/datamarket.
type DatasetKeeper interface {
	// DatasetTermsForJob: shape, content root, owner, and the PER_JOB fee (empty when a licence of the requester covers the version the job wants: pin, or the current one for 0); an error when the requester has no licence and there is no PER_JOB offer, or the dataset is unknown.
	DatasetTermsForJob(ctx context.Context, datasetID uint64, requester string, pin uint64) (common.DatasetTerms, error)
	// MarketFeeBps is the market_fee_bps in force, recorded on a job when it is created (JobParamTerms).
	MarketFeeBps(ctx context.Context) (uint32, error)
	// PayDatasetFeeAt pays the dataset fee of a job whose winner was never granted access under the owed-fee rule (a job awarded before it), marketFeeBps (the job's) of it to the reward pool.
	PayDatasetFeeAt(ctx context.Context, datasetID uint64, fromModule string, fee sdk.Coins, marketFeeBps uint32, shares []common.Share) error
	// GrantJobAccessVersion lets the winner of a live job read the one dataset version the job pinned; RevokeJobAccess ends it when the job ends (any terminal state).
	GrantJobAccessVersion(ctx context.Context, datasetID, jobID, version uint64, provider string) error
	// ChargeJobDatasetFeeAt pays a granted job's dataset fee to the owner, marketFeeBps (the job's) of it to the reward pool, once per job (a second call is a no-op).
	ChargeJobDatasetFeeAt(ctx context.Context, datasetID, jobID uint64, fromModule string, fee sdk.Coins, marketFeeBps uint32, shares []common.Share) error
	RevokeJobAccess(ctx context.Context, datasetID, jobID uint64) error
}

// StakingKeeper is what x/compute needs from x/staking: a validator by its
// operator address (its consensus address, for its beacon key) and by its
// consensus address (its operator, paid a verification fee).
type StakingKeeper interface {
	ValidatorAddressCodec() address.Codec
	GetValidator(ctx context.Context, addr sdk.ValAddress) (stakingtypes.Validator, error)
	GetValidatorByConsAddr(ctx context.Context, consAddr sdk.ConsAddress) (stakingtypes.Validator, error)
}
