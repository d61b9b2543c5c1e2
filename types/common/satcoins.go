package common

import (
	"math/big"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// maxTotal is the largest amount a running total keeps: 2^MaxAmountBits − 1.
var maxTotal = math.NewIntFromBigInt(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), MaxAmountBits), big.NewInt(1)))

// SatAddCoins adds add to the running total (a record, not a balance: it
// never decides a payment), each denom saturating at 2^MaxAmountBits − 1.
// Every amount a module moves is below 2^MaxAmountBits, so the sum never
// reaches the 256 bits past which math.Int panics, however many are added.
func SatAddCoins(total, add sdk.Coins) sdk.Coins {
	out := total
	for _, c := range add {
		have := out.AmountOf(c.Denom)
		sum := have.Add(c.Amount)
		if sum.BigInt().BitLen() > MaxAmountBits {
			sum = maxTotal
		}
		if d := sum.Sub(have); d.IsPositive() {
			out = out.Add(sdk.NewCoin(c.Denom, d))
		}
	}
	return out
}
