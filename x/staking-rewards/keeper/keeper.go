// Package keeper holds the staking-rewards state and its rules: locks,
// the reward-per-weight index over the reward pool, and the lock weight that
// x/gov adds to its tally.
package keeper

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// LockIndexes are the secondary indexes of the locks.
type LockIndexes struct {
	// Owner indexes locks by (owner, lock id).
	Owner *indexes.Multi[sdk.AccAddress, uint64, types.Lock]
}

// IndexesList implements collections.Indexes.
func (i LockIndexes) IndexesList() []collections.Index[uint64, types.Lock] {
	return []collections.Index[uint64, types.Lock]{i.Owner}
}

// unlockQueueName is UnlockQueue's schema name.
const unlockQueueName = "unlock_queue"

// Keeper keeps the module's state.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService store.KVStoreService
	authority    string
	addressCodec address.Codec

	AccountKeeper types.AccountKeeper
	BankKeeper    types.BankKeeper
	StakingKeeper types.StakingKeeper
	DistrKeeper   types.DistributionKeeper

	Schema collections.Schema
	// Params are the governance-controlled params.
	Params collections.Item[types.Params]
	// LockSeq is the next lock id.
	LockSeq collections.Sequence
	// Locks are the locks by id, indexed by owner.
	Locks *collections.IndexedMap[uint64, types.Lock, LockIndexes]
	// UnlockQueue holds (unlock time, lock id) of every unlocking lock.
	UnlockQueue modkit.Queue[time.Time, uint64]
	// OwnerWeight is each owner's total lock weight (absent when zero).
	OwnerWeight collections.Map[sdk.AccAddress, math.Int]
	// OwnerVoteWeight is each owner's governance weight, the weight of its
	// locks that vote (absent when zero): what a tally reads, in O(1).
	OwnerVoteWeight collections.Map[sdk.AccAddress, math.Int]
	// OwnerLockCount is each owner's number of locks (absent when zero).
	OwnerLockCount collections.Map[sdk.AccAddress, uint64]
	// OwnerIndexPaid is, for each owner with weight, the reward index up to
	// which its weight's rewards are settled into Pending: the owner earns
	// OwnerWeight × (RewardIndex − OwnerIndexPaid) on top of Pending, so a
	// claim costs the same whatever the number of its locks (absent when the
	// owner has no weight).
	OwnerIndexPaid collections.Map[sdk.AccAddress, types.DecBalance]
	// Pending is each owner's settled, unclaimed exact reward balance.
	Pending collections.Map[sdk.AccAddress, types.DecBalance]
	// RewardIndex is the global reward-per-weight index (multi-denom).
	RewardIndex collections.Item[types.DecBalance]
	// Accounted is the exact total owed to lockers: Σ OwnerWeight × (index −
	// OwnerIndexPaid) over the owners plus Σ Pending. The reward pool's balance above it is new.
	Accounted collections.Item[types.DecBalance]
	// Totals are the aggregate figures.
	Totals collections.Item[types.Totals]

	// locksByOwner reads the owner index's keys (same prefix and key codec as
	// Locks.Indexes.Owner) so that the Locks query can paginate them.
	locksByOwner collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// locksRaw is Locks' storage without its index (CreateLock inserts
	// through it with modkit.InsertIndexed).
	locksRaw collections.Map[uint64, types.Lock]
}

// NewKeeper returns the keeper. authority is the address allowed to change
// the params (the gov module account); dk receives the reward-pool coins
// that arrive while no lock has weight.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService store.KVStoreService,
	ak types.AccountKeeper,
	bk types.BankKeeper,
	sk types.StakingKeeper,
	dk types.DistributionKeeper,
	authority string,
) Keeper {
	if addr := ak.GetModuleAddress(types.ModuleName); addr == nil {
		panic(fmt.Sprintf("%s module account has not been set", types.ModuleName))
	}
	if addr := ak.GetModuleAddress(common.RewardPoolName); addr == nil {
		panic(fmt.Sprintf("%s module account has not been set", common.RewardPoolName))
	}
	if _, err := ak.AddressCodec().StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("invalid authority address %q: %v", authority, err))
	}
	addrCodec := ak.AddressCodec()
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:           cdc,
		storeService:  storeService,
		authority:     authority,
		addressCodec:  addrCodec,
		AccountKeeper: ak,
		BankKeeper:    bk,
		StakingKeeper: sk,
		DistrKeeper:   dk,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		LockSeq:       collections.NewSequence(sb, types.LockSeqKey, "lock_seq"),
		Locks: collections.NewIndexedMap(sb, types.LocksKey, "locks", collections.Uint64Key,
			codec.CollValue[types.Lock](cdc),
			LockIndexes{
				Owner: indexes.NewMulti(sb, types.LocksByOwnerKey, "locks_by_owner", sdk.AccAddressKey, collections.Uint64Key,
					func(_ uint64, l types.Lock) (sdk.AccAddress, error) {
						return addrCodec.StringToBytes(l.Owner)
					}),
			}),
		UnlockQueue: modkit.NewQueue(sb, types.UnlockQueueKey, unlockQueueName,
			modkit.NewQueueHeads(sb, types.QueueHeadsKey), sdk.TimeKey, collections.Uint64Key),
		OwnerWeight:     collections.NewMap(sb, types.OwnerWeightKey, "owner_weight", sdk.AccAddressKey, sdk.IntValue),
		OwnerVoteWeight: collections.NewMap(sb, types.OwnerVoteWeightKey, "owner_vote_weight", sdk.AccAddressKey, sdk.IntValue),
		OwnerLockCount:  collections.NewMap(sb, types.OwnerLockCountKey, "owner_lock_count", sdk.AccAddressKey, collections.Uint64Value),
		OwnerIndexPaid:  collections.NewMap(sb, types.OwnerIndexPaidKey, "owner_index_paid", sdk.AccAddressKey, codec.CollValue[types.DecBalance](cdc)),
		Pending:         collections.NewMap(sb, types.PendingKey, "pending", sdk.AccAddressKey, codec.CollValue[types.DecBalance](cdc)),
		RewardIndex:     collections.NewItem(sb, types.RewardIndexKey, "reward_index", codec.CollValue[types.DecBalance](cdc)),
		Accounted:       collections.NewItem(sb, types.AccountedKey, "accounted", codec.CollValue[types.DecBalance](cdc)),
		Totals:          collections.NewItem(sb, types.TotalsKey, "totals", codec.CollValue[types.Totals](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	// A read-only view of the owner index (outside the schema, which holds
	// each prefix once).
	k.locksByOwner = modkit.IndexView(storeService, types.LocksByOwnerKey, "locks_by_owner",
		sdk.AccAddressKey, collections.Uint64Key)
	k.locksRaw = modkit.MapView(storeService, types.LocksKey, "locks", collections.Uint64Key, codec.CollValue[types.Lock](cdc))
	return k
}

// GetAuthority returns the address that may change the params.
func (k Keeper) GetAuthority() string { return k.authority }

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// GetParams returns the params.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

// UpdateParams sets the params on behalf of authority (the caller has checked
// it and validated them). The lock denom must be the bond denom, and cannot
// change while locks exist.
func (k Keeper) UpdateParams(ctx context.Context, authority string, params types.Params) error {
	if err := k.checkLockDenom(ctx, params); err != nil {
		return err
	}
	current, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	if params.LockDenom != current.LockDenom {
		totals, err := k.GetTotals(ctx)
		if err != nil {
			return err
		}
		if totals.LockCount > 0 {
			return errorsmod.Wrapf(types.ErrInvalidParams, "lock_denom cannot change while %d locks exist", totals.LockCount)
		}
	}
	// What reached the pool while the current denoms were rewarded goes to the
	// weight of the moment first: x/gov's EndBlocker runs before this
	// module's, so a fee paid in the block that delists its denom would
	// otherwise never be distributed (TestAttackDelistingStrandsSameBlockFees).
	if _, _, err := k.syncRewards(ctx, current.RewardedDenoms()); err != nil {
		return err
	}
	// A denom newly rewarded earns from now on: its backlog in the pool goes
	// to the community pool (sendUnaccounted), not to the weight of the
	// moment: whoever locked just before the listing would take a share of
	// it (TestAttackLockBeforeADenomIsRewarded,
	// TestAttackSniperLocksBeforeLegacyDenomListing).
	var added []string
	rewarded := current.RewardedDenoms()
	for _, d := range params.RewardedDenoms() {
		if !slices.Contains(rewarded, d) {
			added = append(added, d)
		}
	}
	if err := k.sendUnaccounted(ctx, added); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, params); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventUpdateParams{Authority: authority})
}

// checkLockDenom refuses params whose lock denom is not x/staking's bond
// denom: lock weight is added to bonded stake in x/gov's tally, so it must be
// counted in the same unit.
func (k Keeper) checkLockDenom(ctx context.Context, params types.Params) error {
	bond, err := k.StakingKeeper.BondDenom(ctx)
	if err != nil {
		return err
	}
	if params.LockDenom != bond {
		return errorsmod.Wrapf(types.ErrInvalidParams, "lock_denom %q must be the bond denom %q", params.LockDenom, bond)
	}
	return nil
}

// GetTotals returns the totals (zero before the first lock).
func (k Keeper) GetTotals(ctx context.Context) (types.Totals, error) {
	t, err := k.Totals.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Totals{Locked: math.ZeroInt(), Unlocking: math.ZeroInt(), Weight: math.ZeroInt(), VoteWeight: math.ZeroInt()}, nil
	}
	if err == nil && t.VoteWeight.IsNil() { // stored before version 4
		t.VoteWeight = math.ZeroInt()
	}
	return t, err
}

func (k Keeper) getDecBalance(ctx context.Context, item collections.Item[types.DecBalance]) (sdk.DecCoins, error) {
	b, err := item.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return sdk.DecCoins{}, nil
	}
	if err != nil {
		return nil, err
	}
	return b.Coins, nil
}

// GetRewardIndex returns the global reward-per-weight index.
func (k Keeper) GetRewardIndex(ctx context.Context) (sdk.DecCoins, error) {
	return k.getDecBalance(ctx, k.RewardIndex)
}

// GetAccounted returns the exact total the module owes lockers.
func (k Keeper) GetAccounted(ctx context.Context) (sdk.DecCoins, error) {
	return k.getDecBalance(ctx, k.Accounted)
}

// GetPending returns an owner's settled, unclaimed exact reward balance.
func (k Keeper) GetPending(ctx context.Context, owner sdk.AccAddress) (sdk.DecCoins, error) {
	b, err := k.Pending.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return sdk.DecCoins{}, nil
	}
	if err != nil {
		return nil, err
	}
	return b.Coins, nil
}

// OwnerLockWeight returns an owner's total lock weight (its governance power
// from locks). O(1).
func (k Keeper) OwnerLockWeight(ctx context.Context, owner sdk.AccAddress) (math.Int, error) {
	w, err := k.OwnerWeight.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return w, err
}

// TotalLockWeight returns the total weight of all locks. O(1).
func (k Keeper) TotalLockWeight(ctx context.Context) (math.Int, error) {
	t, err := k.GetTotals(ctx)
	if err != nil {
		return math.Int{}, err
	}
	return t.Weight, nil
}

// OwnerVoteWeightOf returns an owner's governance weight from locks: the
// weight of its locks that vote. O(1).
func (k Keeper) OwnerVoteWeightOf(ctx context.Context, owner sdk.AccAddress) (math.Int, error) {
	w, err := k.OwnerVoteWeight.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return w, err
}

// TotalVoteWeight returns the total governance weight of locks (the quorum
// denominator's share). O(1).
func (k Keeper) TotalVoteWeight(ctx context.Context) (math.Int, error) {
	t, err := k.GetTotals(ctx)
	if err != nil {
		return math.Int{}, err
	}
	return t.VoteWeight, nil
}

// addVoteWeight adds delta to owner's governance weight (removing the entry
// at zero).
func (k Keeper) addVoteWeight(ctx context.Context, owner sdk.AccAddress, delta math.Int) error {
	if delta.IsZero() {
		return nil
	}
	w, err := k.OwnerVoteWeightOf(ctx, owner)
	if err != nil {
		return err
	}
	w = w.Add(delta)
	switch {
	case w.IsNegative():
		return errorsmod.Wrapf(types.ErrAccounting, "owner %s vote weight would be %s", owner, w)
	case w.IsZero():
		return k.OwnerVoteWeight.Remove(ctx, owner)
	}
	return k.OwnerVoteWeight.Set(ctx, owner, w)
}

// GetLock returns a lock by id.
func (k Keeper) GetLock(ctx context.Context, id uint64) (types.Lock, error) {
	l, err := k.Locks.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Lock{}, errorsmod.Wrapf(types.ErrLockNotFound, "lock %d", id)
	}
	return l, err
}

// RewardPoolAddress is the reward pool module account's address.
func (k Keeper) RewardPoolAddress() sdk.AccAddress {
	return k.AccountKeeper.GetModuleAddress(common.RewardPoolName)
}

func (k Keeper) addOwnerLockCount(ctx context.Context, owner sdk.AccAddress, delta int64) error {
	n, err := k.OwnerLockCount.Get(ctx, owner)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	next := int64(n) + delta
	if next < 0 {
		return errorsmod.Wrapf(types.ErrAccounting, "owner %s lock count would be negative", owner)
	}
	if next == 0 {
		return k.OwnerLockCount.Remove(ctx, owner)
	}
	return k.OwnerLockCount.Set(ctx, owner, uint64(next))
}

func (k Keeper) ownerLockCount(ctx context.Context, owner sdk.AccAddress) (uint64, error) {
	n, err := k.OwnerLockCount.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return n, err
}
