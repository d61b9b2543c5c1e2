package common

import (
	"math/rand"
	"testing"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

func addr() string { return sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address()).String() }

func TestSplitAmountExact(t *testing.T) {
	shares := []Share{{Address: addr(), Weight: 1}, {Address: addr(), Weight: 1}, {Address: addr(), Weight: 1}}
	parts, err := SplitAmount(math.NewInt(100), shares)
	if err != nil {
		t.Fatal(err)
	}
	// 100/3 = 33 each, remainder 1 to the first share.
	want := []int64{34, 33, 33}
	for i, p := range parts {
		if p.Int64() != want[i] {
			t.Fatalf("part %d = %s, want %d", i, p, want[i])
		}
	}
}

// TestSplitAmountConserves splits random amounts over random share sets: the
// parts always add up to the amount, none is negative, and no part but the
// first exceeds its exact proportional value.
func TestSplitAmountConserves(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for trial := 0; trial < 2000; trial++ {
		n := 1 + r.Intn(MaxShares)
		shares := make([]Share, n)
		for i := range shares {
			shares[i] = Share{Address: addr(), Weight: uint32(1 + r.Intn(1_000_000))}
		}
		amount := math.NewInt(r.Int63n(1 << 50))
		parts, err := SplitAmount(amount, shares)
		if err != nil {
			t.Fatal(err)
		}
		sum := math.ZeroInt()
		for _, p := range parts {
			if p.IsNegative() {
				t.Fatalf("negative part %s", p)
			}
			sum = sum.Add(p)
		}
		if !sum.Equal(amount) {
			t.Fatalf("trial %d: parts add up to %s, want %s", trial, sum, amount)
		}
	}
}

func TestValidateShares(t *testing.T) {
	a := addr()
	cases := map[string][]Share{
		"empty":       nil,
		"zero weight": {{Address: a, Weight: 0}},
		"bad address": {{Address: "aic1nope", Weight: 1}},
		"duplicate":   {{Address: a, Weight: 1}, {Address: a, Weight: 2}},
	}
	for name, shares := range cases {
		if err := ValidateShares(shares); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := ValidateShares([]Share{{Address: a, Weight: 3}}); err != nil {
		t.Fatalf("valid shares refused: %v", err)
	}
}

func TestSplitCoinsAndFeePart(t *testing.T) {
	shares := []Share{{Address: addr(), Weight: 2}, {Address: addr(), Weight: 1}}
	coins := sdk.NewCoins(sdk.NewInt64Coin("uaic", 10), sdk.NewInt64Coin("uusd", 1))
	out, err := SplitCoins(coins, shares)
	if err != nil {
		t.Fatal(err)
	}
	total := out[0].Add(out[1]...)
	if !total.Equal(coins) {
		t.Fatalf("split coins add up to %s, want %s", total, coins)
	}
	if got := FeePart(sdk.NewCoins(sdk.NewInt64Coin("uaic", 999)), 250); !got.Equal(sdk.NewCoins(sdk.NewInt64Coin("uaic", 24))) {
		t.Fatalf("2.5%% of 999 = %s, want 24uaic (floor)", got)
	}
}
