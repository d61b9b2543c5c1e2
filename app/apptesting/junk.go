package apptesting

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
)

// JunkDenoms are n distinct denoms (ibc/ and 64 hex digits, as vouchers are
// named) of amount each: what a hostile party gets for next to nothing by
// minting tokens on a chain it runs and sending each here over IBC. Tests of
// work that must not grow with the denoms an account or pool holds use them.
func JunkDenoms(n int, amount int64) sdk.Coins {
	coins := make(sdk.Coins, 0, n)
	for i := 0; i < n; i++ {
		coins = append(coins, sdk.NewInt64Coin(fmt.Sprintf("ibc/%064X", i), amount))
	}
	return sdk.NewCoins(coins...)
}

// MintTo mints coins straight into addr's account (test set-up: x/mint's
// account mints, as the transfer module does for a voucher).
func (ta *TestApp) MintTo(addr sdk.AccAddress, coins sdk.Coins) {
	ta.T.Helper()
	if err := ta.BankKeeper.MintCoins(ta.Ctx, minttypes.ModuleName, coins); err != nil {
		ta.T.Fatal(err)
	}
	if err := ta.BankKeeper.SendCoinsFromModuleToAccount(ta.Ctx, minttypes.ModuleName, addr, coins); err != nil {
		ta.T.Fatal(err)
	}
}
