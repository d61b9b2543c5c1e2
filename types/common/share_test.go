package common

import (
	"errors"
	"math/big"
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

// TestValidateNewShares: a list a message sets holds addresses of at most
// MaxShareAddressBytes; a list state holds from before the rule may hold
// longer ones (up to the SDK's 255 bytes), which ValidateShares takes.
func TestValidateNewShares(t *testing.T) {
	for _, n := range []int{20, MaxShareAddressBytes, MaxShareAddressBytes + 1, 255} {
		shares := []Share{{Address: addr(), Weight: 1}, {Address: sdk.AccAddress(make([]byte, n)).String(), Weight: 2}}
		if err := ValidateShares(shares); err != nil {
			t.Errorf("%d-byte holder in state: %v", n, err)
		}
		err := ValidateNewShares(shares)
		if want := n <= MaxShareAddressBytes; (err == nil) != want || (err != nil && !errors.Is(err, ErrInvalidShares)) {
			t.Errorf("%d-byte holder in a new list: %v, accepted want %t", n, err, want)
		}
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

// TestSplitAndFeeOfTheLargestAmount: the largest amount an Int holds,
// 2^256 − 1 (a voucher any chain can mint), split over shares of the
// largest weights and charged the largest fee: math.Int's own products
// panicked past 256 bits; the parts still add up to the amount, each is its
// exact floor, and a fee of 10000 bps (or more) takes the whole amount, no
// more.
func TestSplitAndFeeOfTheLargestAmount(t *testing.T) {
	maxInt := math.NewIntFromBigInt(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)))
	shares := []Share{{Address: addr(), Weight: ^uint32(0)}, {Address: addr(), Weight: ^uint32(0) - 1}}
	parts, err := SplitAmount(maxInt, shares)
	if err != nil {
		t.Fatal(err)
	}
	total := new(big.Int).SetUint64(uint64(^uint32(0))*2 - 1)
	second := new(big.Int).Quo(new(big.Int).Mul(maxInt.BigInt(), big.NewInt(int64(^uint32(0)-1))), total)
	if parts[1].BigInt().Cmp(second) != 0 {
		t.Fatalf("second part %s, want %s", parts[1], second)
	}
	if sum := parts[0].Add(parts[1]); !sum.Equal(maxInt) {
		t.Fatalf("parts add up to %s, want %s", sum, maxInt)
	}
	for _, bps := range []uint32{1, 9_999, BasisPoints, BasisPoints + 1} {
		fee := FeePart(sdk.NewCoins(sdk.NewCoin("ibc/X", maxInt)), bps).AmountOf("ibc/X")
		want := new(big.Int).Quo(new(big.Int).Mul(maxInt.BigInt(), big.NewInt(int64(min(bps, BasisPoints)))), big.NewInt(BasisPoints))
		if fee.BigInt().Cmp(want) != 0 {
			t.Fatalf("fee of %d bps is %s, want %s", bps, fee, want)
		}
	}
}

func TestOversizedCoin(t *testing.T) {
	limit := new(big.Int).Lsh(big.NewInt(1), MaxAmountBits)
	below := sdk.NewCoin("ibc/X", math.NewIntFromBigInt(new(big.Int).Sub(limit, big.NewInt(1))))
	at := sdk.NewCoin("ibc/Y", math.NewIntFromBigInt(limit))
	if c, found := OversizedCoin(below, sdk.NewInt64Coin("uaic", 5)); found {
		t.Fatalf("%s refused: 2^%d − 1 is allowed", c, MaxAmountBits)
	}
	if c, found := OversizedCoin(below, at); !found || c.Denom != "ibc/Y" {
		t.Fatalf("got %s, %v; want ibc/Y (2^%d) refused", c, found, MaxAmountBits)
	}
}
