package types

import (
	"math/big"
	"slices"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Bounds on the params.
const (
	// MaxLockTiers bounds the number of tiers.
	MaxLockTiers = 16
	// MaxLocksPerOwner bounds max_locks_per_owner (state per owner; a claim
	// costs the same whatever the number of locks).
	MaxLocksPerOwner = 1000
	// MaxWithdrawalsPerBlockLimit bounds max_withdrawals_per_block: each
	// automatic withdrawal is a transfer and a lock's removal in the
	// end-blocker (x/compute's max_queue_items_per_block has the same bound).
	MaxWithdrawalsPerBlockLimit = 10_000
	// MaxRewardDenoms bounds reward_denoms: every sync reads one pool balance
	// per rewarded denom, and every owner's reward index holds at most one
	// entry per denom ever rewarded.
	MaxRewardDenoms = 16
)

// MaxMultiplier bounds a tier's multiplier.
var MaxMultiplier = math.LegacyNewDec(10)

const day = 24 * time.Hour

// DefaultParams are the production params: 7d ×1.0, 30d ×1.25, 90d ×1.5,
// 365d ×2.0, locks of at least 1 AIC, at most 100 locks per owner and 100
// automatic withdrawals per block; locks of 21 days or more vote (the 30-day
// tier and up), DefaultMinVoteLockDuration.
func DefaultParams() Params {
	return Params{
		LockTiers: []LockTier{
			{Duration: 7 * day, Multiplier: math.LegacyOneDec()},
			{Duration: 30 * day, Multiplier: math.LegacyNewDecWithPrec(125, 2)},
			{Duration: 90 * day, Multiplier: math.LegacyNewDecWithPrec(15, 1)},
			{Duration: 365 * day, Multiplier: math.LegacyNewDec(2)},
		},
		LockDenom:              DefaultLockDenom,
		MinLockAmount:          math.NewInt(1_000_000),
		MaxLocksPerOwner:       100,
		MaxWithdrawalsPerBlock: 100,
		MinVoteLockDuration:    DefaultMinVoteLockDuration,
	}
}

// DefaultMinVoteLockDuration is the staking module's default unbonding time:
// governance weight from a lock costs at least the capital time the same
// stake costs delegated.
const DefaultMinVoteLockDuration = 21 * day

// Validate checks the params statelessly.
func (p Params) Validate() error {
	if n := len(p.LockTiers); n == 0 || n > MaxLockTiers {
		return errorsmod.Wrapf(ErrInvalidParams, "%d lock tiers, want 1..%d", n, MaxLockTiers)
	}
	for i, t := range p.LockTiers {
		if t.Duration <= 0 {
			return errorsmod.Wrapf(ErrInvalidParams, "tier %d: duration %s must be positive", i, t.Duration)
		}
		if t.Multiplier.IsNil() || !t.Multiplier.IsPositive() || t.Multiplier.GT(MaxMultiplier) {
			return errorsmod.Wrapf(ErrInvalidParams, "tier %d: multiplier %s must be in (0, %s]", i, t.Multiplier, MaxMultiplier)
		}
		if i > 0 {
			prev := p.LockTiers[i-1]
			if t.Duration <= prev.Duration {
				return errorsmod.Wrapf(ErrInvalidParams, "tier %d: durations must strictly increase (%s after %s)", i, t.Duration, prev.Duration)
			}
			if t.Multiplier.LT(prev.Multiplier) {
				return errorsmod.Wrapf(ErrInvalidParams, "tier %d: multipliers must not decrease (%s after %s)", i, t.Multiplier, prev.Multiplier)
			}
		}
	}
	if err := sdk.ValidateDenom(p.LockDenom); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "lock_denom: %v", err)
	}
	if p.MinLockAmount.IsNil() || !p.MinLockAmount.IsPositive() {
		return errorsmod.Wrap(ErrInvalidParams, "min_lock_amount must be positive")
	}
	for i, t := range p.LockTiers {
		w, err := LockWeight(p.MinLockAmount, t.Multiplier)
		if err != nil {
			return errorsmod.Wrapf(ErrInvalidParams, "tier %d: min_lock_amount: %v", i, err)
		}
		if !w.IsPositive() {
			return errorsmod.Wrapf(ErrInvalidParams, "tier %d: a lock of min_lock_amount %s × %s would weigh 0; every lock must weigh at least 1",
				i, p.MinLockAmount, t.Multiplier)
		}
	}
	if p.MaxLocksPerOwner == 0 || p.MaxLocksPerOwner > MaxLocksPerOwner {
		return errorsmod.Wrapf(ErrInvalidParams, "max_locks_per_owner %d, want 1..%d", p.MaxLocksPerOwner, MaxLocksPerOwner)
	}
	if p.MaxWithdrawalsPerBlock == 0 || p.MaxWithdrawalsPerBlock > MaxWithdrawalsPerBlockLimit {
		return errorsmod.Wrapf(ErrInvalidParams, "max_withdrawals_per_block %d, want 1..%d", p.MaxWithdrawalsPerBlock, MaxWithdrawalsPerBlockLimit)
	}
	if longest := p.LockTiers[len(p.LockTiers)-1].Duration; p.MinVoteLockDuration < 0 || p.MinVoteLockDuration > longest {
		return errorsmod.Wrapf(ErrInvalidParams, "min_vote_lock_duration %s, want 0..%s (the longest tier): some tier must vote", p.MinVoteLockDuration, longest)
	}
	return p.validateRewardDenoms()
}

func (p Params) validateRewardDenoms() error {
	if n := len(p.RewardDenoms); n > MaxRewardDenoms {
		return errorsmod.Wrapf(ErrInvalidParams, "%d reward_denoms, at most %d", n, MaxRewardDenoms)
	}
	seen := make(map[string]bool, len(p.RewardDenoms))
	for i, d := range p.RewardDenoms {
		if err := sdk.ValidateDenom(d); err != nil {
			return errorsmod.Wrapf(ErrInvalidParams, "reward_denoms[%d]: %v", i, err)
		}
		if seen[d] {
			return errorsmod.Wrapf(ErrInvalidParams, "reward_denoms[%d]: %s listed twice", i, d)
		}
		seen[d] = true
	}
	return nil
}

// RewardedDenoms are the denoms whose reward-pool coins reach lockers:
// lock_denom and reward_denoms, sorted, each once.
func (p Params) RewardedDenoms() []string {
	out := make([]string, 0, len(p.RewardDenoms)+1)
	out = append(out, p.LockDenom)
	for _, d := range p.RewardDenoms {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// Tier returns the tier with exactly the given duration.
func (p Params) Tier(d time.Duration) (LockTier, bool) {
	for _, t := range p.LockTiers {
		if t.Duration == d {
			return t, true
		}
	}
	return LockTier{}, false
}

// LockWeight is floor(amount × multiplier), or ErrInvalidAmount when it
// does not fit an integer of math.MaxBitLen bits: a decimal's product would
// panic there (TestAttackGenesisHugeLockPanicsValidateStakingRewards). A
// lock made by a message never comes near (its amount is a balance), but a
// genesis lock or a params' min_lock_amount may.
func LockWeight(amount math.Int, multiplier math.LegacyDec) (math.Int, error) {
	if amount.IsNil() || multiplier.IsNil() {
		return math.Int{}, errorsmod.Wrap(ErrInvalidAmount, "lock weight of a nil amount or multiplier")
	}
	w := new(big.Int).Mul(amount.BigInt(), multiplier.BigInt())
	w.Quo(w, decimalScale)
	if w.BitLen() > math.MaxBitLen {
		return math.Int{}, errorsmod.Wrapf(ErrInvalidAmount, "a lock of %s × %s weighs more than %d bits", amount, multiplier, math.MaxBitLen)
	}
	return math.NewIntFromBigInt(w), nil
}

// decimalScale is 10^math.LegacyPrecision, a decimal's scale.
var decimalScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(math.LegacyPrecision), nil)

// IsUnlocking reports whether the lock has begun unlocking.
func (l Lock) IsUnlocking() bool { return !l.UnlockingSince.IsZero() }

// Votes reports whether a lock of duration d made now carries governance weight.
func (p Params) Votes(d time.Duration) bool { return d >= p.MinVoteLockDuration }

// VoteWeight is the lock's governance weight: its weight if it votes (zero
// once unlocking, as its weight is).
func (l Lock) VoteWeight() math.Int {
	if !l.Votes || l.Weight.IsNil() {
		return math.ZeroInt()
	}
	return l.Weight
}

// UnlockTime is when an unlocking lock can be withdrawn.
func (l Lock) UnlockTime() time.Time { return l.UnlockingSince.Add(l.Duration) }
