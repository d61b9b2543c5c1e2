package types

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// AccountKeeper is what the module needs from x/auth.
type AccountKeeper interface {
	AddressCodec() address.Codec
	GetModuleAddress(name string) sdk.AccAddress
	GetModuleAccount(ctx context.Context, name string) sdk.ModuleAccountI
}

// BankKeeper is what the module needs from x/bank.
type BankKeeper interface {
	GetAllBalances(ctx context.Context, addr sdk.AccAddress) sdk.Coins
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
	LockedCoins(ctx context.Context, addr sdk.AccAddress) sdk.Coins
	// InputOutputCoins moves coins from one address to several (modkit.ToModule).
	InputOutputCoins(ctx context.Context, input banktypes.Input, outputs []banktypes.Output) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
}

// StakingKeeper is what the module needs from x/staking: the voting power
// that x/gov would count for a delegator, and the bonded total.
type StakingKeeper interface {
	ValidatorAddressCodec() address.Codec
	// BondDenom is the staking denom: the only one that may be locked.
	BondDenom(ctx context.Context) (string, error)
	TotalBondedTokens(ctx context.Context) (math.Int, error)
	IterateDelegations(ctx context.Context, delegator sdk.AccAddress,
		fn func(index int64, delegation stakingtypes.DelegationI) (stop bool)) error
	IterateBondedValidatorsByPower(ctx context.Context,
		fn func(index int64, validator stakingtypes.ValidatorI) (stop bool)) error
	GetValidator(ctx context.Context, addr sdk.ValAddress) (stakingtypes.Validator, error)
	GetDelegation(ctx context.Context, delAddr sdk.AccAddress, valAddr sdk.ValAddress) (stakingtypes.Delegation, error)
	// IterateLastValidatorPowers walks the last bonded set only (at most
	// max_validators), where IterateBondedValidatorsByPower walks the power
	// index past every unbonded validator until it has found them.
	IterateLastValidatorPowers(ctx context.Context, handler func(operator sdk.ValAddress, power int64) (stop bool)) error
	// MaxValidators bounds the bonded set x/gov's tally is given.
	MaxValidators(ctx context.Context) (uint32, error)
}

// DistributionKeeper is what the module needs from x/distribution: reward-pool
// coins that arrive while no lock has weight go to the community pool.
type DistributionKeeper interface {
	FundCommunityPool(ctx context.Context, amount sdk.Coins, sender sdk.AccAddress) error
}
