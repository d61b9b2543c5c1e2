package types

import "cosmossdk.io/errors"

// Registered errors of the module (codes start at 2; 1 is reserved).
var (
	ErrInvalidSigner    = errors.Register(ModuleName, 2, "expected gov account as only signer for proposal message")
	ErrInvalidParams    = errors.Register(ModuleName, 3, "invalid params")
	ErrInvalidAmount    = errors.Register(ModuleName, 4, "invalid lock amount")
	ErrUnknownTier      = errors.Register(ModuleName, 5, "duration is not an allowed lock tier")
	ErrLockNotFound     = errors.Register(ModuleName, 6, "lock not found")
	ErrNotLockOwner     = errors.Register(ModuleName, 7, "not the lock's owner")
	ErrNotLonger        = errors.Register(ModuleName, 8, "a lock can only be extended to a longer tier")
	ErrAlreadyUnlocking = errors.Register(ModuleName, 9, "lock is already unlocking")
	ErrNotUnlocking     = errors.Register(ModuleName, 10, "lock is not unlocking")
	ErrNotMatured       = errors.Register(ModuleName, 11, "lock's unlocking period has not passed")
	ErrTooManyLocks     = errors.Register(ModuleName, 12, "too many locks for this owner")
	ErrNoRewards        = errors.Register(ModuleName, 13, "no rewards to claim")
	ErrInvalidAddress   = errors.Register(ModuleName, 14, "invalid address")
	ErrInvalidGenesis   = errors.Register(ModuleName, 15, "invalid genesis")
	ErrAccounting       = errors.Register(ModuleName, 16, "reward accounting error")
	// ErrDenomNotRewarded refuses coins of a denom that is not rewarded
	// (Params.RewardedDenoms) where they would be spread over every block's
	// work: the community pool and validators' reward pools (the app's
	// distribution guard).
	ErrDenomNotRewarded = errors.Register(ModuleName, 17, "denom is not rewarded")
	ErrIDsExhausted     = errors.Register(ModuleName, 18, "lock ids exhausted")
)
