package modkit

import (
	"context"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// BalanceReader is what Spendable needs from x/bank: point reads only.
type BalanceReader interface {
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
	// LockedCoins are a vesting account's coins not yet vested (none for
	// other accounts): x/bank refuses to send them.
	LockedCoins(ctx context.Context, addr sdk.AccAddress) sdk.Coins
}

// Spendable is what addr may spend of denom: its balance less its locked
// (vesting) coins of that denom, never negative; the check x/bank's send makes
// per denom. It reads the one balance and the account, where x/bank's
// SpendableCoins iterates over every denom addr holds: anyone can send an
// account dust of many denoms (IBC vouchers of a chain they run), which would
// raise the gas of every payment that account makes, for ever.
func Spendable(ctx context.Context, bank BalanceReader, addr sdk.AccAddress, denom string) math.Int {
	have := bank.GetBalance(ctx, addr, denom).Amount
	locked := bank.LockedCoins(ctx, addr).AmountOf(denom)
	if have.LTE(locked) {
		return math.ZeroInt()
	}
	return have.Sub(locked)
}

// SpendableAll reports whether addr may spend all of amount, denom by denom
// (Spendable); when it may not, short is the first coin it lacks, with what it
// has of that denom.
func SpendableAll(ctx context.Context, bank BalanceReader, addr sdk.AccAddress, amount sdk.Coins) (ok bool, short, has sdk.Coin) {
	for _, c := range amount {
		if h := Spendable(ctx, bank, addr, c.Denom); h.LT(c.Amount) {
			return false, c, sdk.NewCoin(c.Denom, h)
		}
	}
	return true, sdk.Coin{}, sdk.Coin{}
}
