package common

import (
	"math/big"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// A running total adds exactly below the bound and stays at 2^224 − 1 past
// it, in each denom on its own, and never panics.
func TestSatAddCoins(t *testing.T) {
	bound := math.NewIntFromBigInt(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), MaxAmountBits), big.NewInt(1)))
	near := sdk.NewCoins(sdk.NewCoin("ibc/X", bound.SubRaw(5)), sdk.NewInt64Coin("uaic", 7))
	got := SatAddCoins(near, sdk.NewCoins(sdk.NewInt64Coin("uaic", 3), sdk.NewInt64Coin("ibc/X", 4)))
	if !got.AmountOf("uaic").Equal(math.NewInt(10)) || !got.AmountOf("ibc/X").Equal(bound.SubRaw(1)) {
		t.Fatalf("below the bound: %s", got)
	}
	for range 3 {
		got = SatAddCoins(got, sdk.NewCoins(sdk.NewCoin("ibc/X", bound)))
	}
	if !got.AmountOf("ibc/X").Equal(bound) || !got.AmountOf("uaic").Equal(math.NewInt(10)) {
		t.Fatalf("past the bound: %s", got)
	}
	if got := SatAddCoins(nil, sdk.NewCoins(sdk.NewInt64Coin("uaic", 1))); !got.Equal(sdk.NewCoins(sdk.NewInt64Coin("uaic", 1))) {
		t.Fatalf("from nothing: %s", got)
	}
}
