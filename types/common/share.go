// Package common holds the types that several aichain modules share: the
// revenue Share and its split rule, the reward pool's name, and the terms a
// model or dataset sets for a compute job.
package common

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// RewardPoolName is the module account that receives every protocol, market
// and platform fee; x/staking-rewards distributes it to lockers.
const RewardPoolName = "reward_pool"

// MaxShares bounds the number of shares of one split.
const MaxShares = 32

// MaxShareAddressBytes bounds the address of a share holder a message sets
// (ValidateNewShares): an account's (20 bytes, or 32 for a module-derived or
// interchain account). The SDK takes addresses up to 255 bytes (over 400
// bech32 characters); each holder is copied into every job on the model or
// dataset and paid at its settlement, which the job pays by the byte, and an
// offline create-job must bound that
// (TestAttackLongShareHolderAddressesRunOfflineCreateJobOutOfGas). Lists in
// state from before the rule may hold longer ones (ValidateShares).
const MaxShareAddressBytes = 32

// BasisPoints is 100% in basis points.
const BasisPoints = 10_000

var (
	// ErrInvalidShares is returned for an empty, oversized or malformed share list.
	ErrInvalidShares = errors.New("invalid shares")
)

// ValidateNewShares checks a share list a message sets: ValidateShares, and
// every address at most MaxShareAddressBytes.
func ValidateNewShares(shares []Share) error {
	if err := ValidateShares(shares); err != nil {
		return err
	}
	for i, s := range shares {
		if addr, _ := sdk.AccAddressFromBech32(s.Address); len(addr) > MaxShareAddressBytes {
			return fmt.Errorf("%w: share %d: a %d-byte address, at most %d", ErrInvalidShares, i, len(addr), MaxShareAddressBytes)
		}
	}
	return nil
}

// ValidateShares checks a share list statelessly, as state may hold it:
// 1..MaxShares shares, valid and distinct addresses (the SDK's, up to 255
// bytes: a list set before MaxShareAddressBytes, which genesis, job terms
// and payouts must still take: TestLegacyLongShareHoldersStayPayable),
// every weight positive. Messages setting a list use ValidateNewShares.
func ValidateShares(shares []Share) error {
	if len(shares) == 0 {
		return fmt.Errorf("%w: at least one share is required", ErrInvalidShares)
	}
	if len(shares) > MaxShares {
		return fmt.Errorf("%w: %d shares, at most %d", ErrInvalidShares, len(shares), MaxShares)
	}
	seen := make(map[string]bool, len(shares))
	for i, s := range shares {
		if _, err := sdk.AccAddressFromBech32(s.Address); err != nil {
			return fmt.Errorf("%w: share %d: address %q: %v", ErrInvalidShares, i, s.Address, err)
		}
		if s.Weight == 0 {
			return fmt.Errorf("%w: share %d (%s) has zero weight", ErrInvalidShares, i, s.Address)
		}
		if seen[s.Address] {
			return fmt.Errorf("%w: address %s appears twice", ErrInvalidShares, s.Address)
		}
		seen[s.Address] = true
	}
	return nil
}

// SplitAmount splits amount over shares: share i gets floor(amount × w_i / Σw),
// and what rounding leaves goes to the first share, so the parts always add up
// to amount exactly. The shares must be valid (see ValidateShares).
func SplitAmount(amount math.Int, shares []Share) ([]math.Int, error) {
	if len(shares) == 0 {
		return nil, fmt.Errorf("%w: nothing to split over", ErrInvalidShares)
	}
	if amount.IsNegative() {
		return nil, fmt.Errorf("cannot split a negative amount %s", amount)
	}
	total := math.ZeroInt()
	for _, s := range shares {
		total = total.Add(math.NewIntFromUint64(uint64(s.Weight)))
	}
	if !total.IsPositive() {
		return nil, fmt.Errorf("%w: total weight is zero", ErrInvalidShares)
	}
	parts := make([]math.Int, len(shares))
	paid := math.ZeroInt()
	for i, s := range shares {
		parts[i] = mulQuo(amount, uint64(s.Weight), total.BigInt())
		paid = paid.Add(parts[i])
	}
	parts[0] = parts[0].Add(amount.Sub(paid))
	return parts, nil
}

// SplitCoins splits every denom of coins over shares with SplitAmount and
// returns each share's coins (possibly empty), in share order.
func SplitCoins(coins sdk.Coins, shares []Share) ([]sdk.Coins, error) {
	out := make([]sdk.Coins, len(shares))
	for i := range out {
		out[i] = sdk.NewCoins()
	}
	for _, c := range coins {
		parts, err := SplitAmount(c.Amount, shares)
		if err != nil {
			return nil, err
		}
		for i, p := range parts {
			if p.IsPositive() {
				out[i] = out[i].Add(sdk.NewCoin(c.Denom, p))
			}
		}
	}
	return out, nil
}

// FeePart returns floor(coins × bps / 10000) for each denom: the share of a
// payment that a fee of bps basis points takes (bps above 10000, which every
// module's params refuse, count as 10000: a fee never takes more than the
// payment). The rest is coins minus it.
func FeePart(coins sdk.Coins, bps uint32) sdk.Coins {
	out := sdk.NewCoins()
	for _, c := range coins {
		fee := mulQuo(c.Amount, uint64(min(bps, BasisPoints)), big.NewInt(BasisPoints))
		if fee.IsPositive() {
			out = out.Add(sdk.NewCoin(c.Denom, fee))
		}
	}
	return out
}

// mulQuo is floor(a × n / d) for 0 ≤ n ≤ d: at most a, so it is an Int
// whatever a is, where math.Int's own product panics past 256 bits (an
// amount of 2^255, a voucher any chain can mint, times a weight or basis
// points).
func mulQuo(a math.Int, n uint64, d *big.Int) math.Int {
	p := new(big.Int).Mul(a.BigInt(), new(big.Int).SetUint64(n))
	return math.NewIntFromBigInt(p.Quo(p, d))
}

// MaxAmountBits bounds every amount that a model fee, a dataset's price or
// fee, or a compute job's price can hold: below 2^224. A payout's parts are
// computed without overflow (mulQuo), but the sums that follow a payment
// (a model's revenue, x/compute's fee statistics, a job's escrow of price
// plus fees) add amounts up in 256-bit Ints; amounts this far below the
// limit leave room for 2^32 of them.
const MaxAmountBits = 224

// OversizedCoin returns the first coin whose amount has more than
// MaxAmountBits bits, if any; each module refuses it with its own error.
func OversizedCoin(coins ...sdk.Coin) (sdk.Coin, bool) {
	for _, c := range coins {
		if !c.Amount.IsNil() && c.Amount.BigInt().BitLen() > MaxAmountBits {
			return c, true
		}
	}
	return sdk.Coin{}, false
}

// CheckAmountBits returns an error naming field and the first of coins
// whose amount has more than MaxAmountBits bits (see OversizedCoin), nil if
// none has; each module wraps it in its own error.
func CheckAmountBits(field string, coins ...sdk.Coin) error {
	if c, found := OversizedCoin(coins...); found {
		return fmt.Errorf("%s %s: an amount must be below 2^%d", field, c, MaxAmountBits)
	}
	return nil
}

// ParseShare parses a share written ADDRESS:WEIGHT, the one syntax every
// command line uses for revenue shares (`--shares aic1…:70`).
func ParseShare(s string) (Share, error) {
	addr, w, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || addr == "" {
		return Share{}, fmt.Errorf("%w: share %q: expected ADDRESS:WEIGHT", ErrInvalidShares, s)
	}
	weight, err := strconv.ParseUint(w, 10, 32)
	if err != nil || weight == 0 {
		return Share{}, fmt.Errorf("%w: share %q: WEIGHT must be a positive integer below 2^32", ErrInvalidShares, s)
	}
	return Share{Address: addr, Weight: uint32(weight)}, nil
}
