package modkit_test

import (
	"context"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
)

// lockedBank is a BalanceReader whose accounts have the given balances and
// locked (vesting) coins.
type lockedBank struct{ balance, locked sdk.Coins }

func (b lockedBank) GetBalance(_ context.Context, _ sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewCoin(denom, b.balance.AmountOf(denom))
}

func (b lockedBank) LockedCoins(context.Context, sdk.AccAddress) sdk.Coins { return b.locked }

// TestSpendable: balance less locked coins, per denom, never negative (x/bank
// refuses a send of locked coins the same way).
func TestSpendable(t *testing.T) {
	b := lockedBank{
		balance: sdk.NewCoins(sdk.NewInt64Coin("uaic", 100), sdk.NewInt64Coin("ufoo", 5)),
		locked:  sdk.NewCoins(sdk.NewInt64Coin("uaic", 30), sdk.NewInt64Coin("ufoo", 9)),
	}
	for denom, want := range map[string]int64{"uaic": 70, "ufoo": 0, "ubar": 0} {
		if got := modkit.Spendable(context.Background(), b, acc(1), denom); !got.Equal(math.NewInt(want)) {
			t.Fatalf("Spendable %s = %s, want %d", denom, got, want)
		}
	}
	ok, _, _ := modkit.SpendableAll(context.Background(), b, acc(1), sdk.NewCoins(sdk.NewInt64Coin("uaic", 70)))
	if !ok {
		t.Fatal("70uaic of 70 spendable refused")
	}
	ok, short, has := modkit.SpendableAll(context.Background(), b, acc(1), sdk.NewCoins(sdk.NewInt64Coin("uaic", 70), sdk.NewInt64Coin("ufoo", 1)))
	if ok || short.String() != "1ufoo" || has.String() != "0ufoo" {
		t.Fatalf("SpendableAll = %v, short %s, has %s; want refused for 1ufoo with 0ufoo", ok, short, has)
	}
}
