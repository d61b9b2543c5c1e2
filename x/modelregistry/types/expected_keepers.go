package types

import (
	"context"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// AccountKeeper is what the module needs from x/auth: the address codec,
// and telling module accounts apart (modkit.NewModuleAccounts): no share and
// no owner may be one.
type AccountKeeper interface {
	AddressCodec() address.Codec
	GetAccount(ctx context.Context, addr sdk.AccAddress) sdk.AccountI
	GetModulePermissions() map[string]authtypes.PermissionsForAddress
}

// BankKeeper is what the module needs from x/bank: paying a model fee out of
// the calling module's account (modkit.Payout), and knowing which addresses
// may not receive.
type BankKeeper interface {
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
	LockedCoins(ctx context.Context, addr sdk.AccAddress) sdk.Coins
	// InputOutputCoins moves coins from one address to several (modkit.Payout).
	InputOutputCoins(ctx context.Context, input banktypes.Input, outputs []banktypes.Output) error
	BlockedAddr(addr sdk.AccAddress) bool
}
