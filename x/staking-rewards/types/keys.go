package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name; its module account holds the locked tokens.
	ModuleName = "stakingrewards"
	// StoreKey is the module's KV store key. It cannot be the module name:
	// the store checks that no key is a prefix of another, and "staking" is a
	// prefix of "stakingrewards".
	StoreKey = "lockrewards"
	// DefaultLockDenom is the denom that can be locked by default.
	DefaultLockDenom = "uaic"
)

var (
	// ParamsKey holds the Params item.
	ParamsKey = collections.NewPrefix(0)
	// LockSeqKey holds the sequence of lock ids.
	LockSeqKey = collections.NewPrefix(1)
	// LocksKey holds the locks by id.
	LocksKey = collections.NewPrefix(2)
	// LocksByOwnerKey is the index (owner, lock id) of the locks.
	LocksByOwnerKey = collections.NewPrefix(3)
	// UnlockQueueKey is the queue (unlock time, lock id) of unlocking locks.
	UnlockQueueKey = collections.NewPrefix(4)
	// OwnerWeightKey holds each owner's total lock weight (for governance tallies).
	OwnerWeightKey = collections.NewPrefix(5)
	// OwnerLockCountKey holds each owner's number of locks.
	OwnerLockCountKey = collections.NewPrefix(6)
	// PendingKey holds each owner's settled, unclaimed exact reward balance.
	PendingKey = collections.NewPrefix(7)
	// RewardIndexKey holds the global reward-per-weight index.
	RewardIndexKey = collections.NewPrefix(8)
	// AccountedKey holds the exact rewards owed to lockers (claimed later).
	AccountedKey = collections.NewPrefix(9)
	// TotalsKey holds the aggregate figures.
	TotalsKey = collections.NewPrefix(10)
	// OwnerIndexPaidKey holds, for each owner with lock weight, the reward
	// index up to which that weight's rewards are settled (since version 2).
	OwnerIndexPaidKey = collections.NewPrefix(11)
	// QueueHeadsKey holds the unlock queue's head (see modkit.QueueHeads).
	QueueHeadsKey = collections.NewPrefix(12)
	// OwnerVoteWeightKey holds each owner's governance weight: the weight of
	// its locked locks that vote (Lock.votes).
	OwnerVoteWeightKey = collections.NewPrefix(13)
)
