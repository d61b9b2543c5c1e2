package simulation

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// maxCandidates bounds how many locks or queue entries a factory looks at.
const maxCandidates = 64

// locksFrom returns up to maxCandidates locks accepted by keep, walking the
// lock ids upwards from start.
func locksFrom(ctx context.Context, k keeper.Keeper, start uint64, keep func(types.Lock) bool) ([]types.Lock, error) {
	var out []types.Lock
	rng := new(collections.Range[uint64]).StartInclusive(start)
	err := k.Locks.Walk(ctx, rng, func(_ uint64, l types.Lock) (bool, error) {
		if keep(l) {
			out = append(out, l)
		}
		return len(out) >= maxCandidates, nil
	})
	return out, err
}

// randomLock picks a lock accepted by keep whose owner is a simulation
// account: the walk starts at a random lock id (and wraps around once), so
// that every lock can be drawn without reading them all. The reporter skips
// when there is none.
func randomLock(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter,
	keep func(types.Lock) bool,
) (types.Lock, simsx.SimAccount, bool) {
	r := testData.Rand()
	next, err := k.LockSeq.Peek(ctx)
	if err != nil {
		reporter.Skip(err.Error())
		return types.Lock{}, simsx.SimAccount{}, false
	}
	if next <= 1 {
		reporter.Skip("no locks")
		return types.Lock{}, simsx.SimAccount{}, false
	}
	start := r.Uint64InRange(1, next)
	cands, err := locksFrom(ctx, k, start, keep)
	if err == nil && len(cands) == 0 && start > 1 {
		cands, err = locksFrom(ctx, k, 1, keep)
	}
	if err != nil {
		reporter.Skip(err.Error())
		return types.Lock{}, simsx.SimAccount{}, false
	}
	if len(cands) == 0 {
		reporter.Skip("no suitable lock")
		return types.Lock{}, simsx.SimAccount{}, false
	}
	l := cands[r.Intn(len(cands))]
	owner := testData.GetAccount(reporter, l.Owner)
	return l, owner, !reporter.IsSkipped()
}

// longerTiers returns the durations of the tiers longer than d.
func longerTiers(p types.Params, d time.Duration) []time.Duration {
	var out []time.Duration
	for _, t := range p.LockTiers {
		if t.Duration > d {
			out = append(out, t.Duration)
		}
	}
	return out
}

// MsgLockFactory locks a random amount (at least min_lock_amount) of an
// account's liquid balance for a random tier.
func MsgLockFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgLock] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgLock) {
		r := testData.Rand()
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		amount := sdk.NewCoin(params.LockDenom, params.MinLockAmount.Add(math.NewInt(r.Int63n(1_000_000))))
		owner := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(amount))
		if reporter.IsSkipped() {
			return nil, nil
		}
		n, err := k.OwnerLockCount.Get(ctx, owner.Address)
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			reporter.Skip(err.Error())
			return nil, nil
		}
		if n >= uint64(params.MaxLocksPerOwner) {
			reporter.Skip("owner has all its locks")
			return nil, nil
		}
		if !owner.LiquidBalance().BlockAmount(amount) {
			reporter.Skip("cannot reserve the amount")
			return nil, nil
		}
		tier := params.LockTiers[r.Intn(len(params.LockTiers))]
		return []simsx.SimAccount{owner}, &types.MsgLock{Owner: owner.AddressBech32, Amount: amount, Duration: tier.Duration}
	}
}

// MsgExtendLockFactory moves a locked lock to a longer tier.
func MsgExtendLockFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgExtendLock] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgExtendLock) {
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		l, owner, ok := randomLock(ctx, k, testData, reporter, func(l types.Lock) bool {
			return !l.IsUnlocking() && len(longerTiers(params, l.Duration)) > 0
		})
		if !ok {
			return nil, nil
		}
		longer := longerTiers(params, l.Duration)
		d := longer[testData.Rand().Intn(len(longer))]
		return []simsx.SimAccount{owner}, &types.MsgExtendLock{Owner: owner.AddressBech32, LockId: l.Id, Duration: d}
	}
}

// MsgBeginUnlockFactory starts the unlocking of a locked lock.
func MsgBeginUnlockFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgBeginUnlock] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgBeginUnlock) {
		l, owner, ok := randomLock(ctx, k, testData, reporter, func(l types.Lock) bool { return !l.IsUnlocking() })
		if !ok {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgBeginUnlock{Owner: owner.AddressBech32, LockId: l.Id}
	}
}

// MsgWithdrawFactory withdraws a matured unlock that the end-blocker has not
// paid back yet (it pays at most max_withdrawals_per_block per block): the
// candidates come from the unlock queue up to the block time, never from a
// scan of the locks.
func MsgWithdrawFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgWithdraw] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgWithdraw) {
		now := sdk.UnwrapSDKContext(ctx).BlockTime()
		var due []uint64
		rng := collections.NewPrefixUntilPairRange[time.Time, uint64](now)
		err := k.UnlockQueue.Walk(ctx, rng, func(key collections.Pair[time.Time, uint64]) (bool, error) {
			due = append(due, key.K2())
			return len(due) >= maxCandidates, nil
		})
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		if len(due) == 0 {
			reporter.Skip("no matured unlock")
			return nil, nil
		}
		l, err := k.GetLock(ctx, due[testData.Rand().Intn(len(due))])
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		if !l.IsUnlocking() || now.Before(l.UnlockTime()) {
			reporter.Skip("lock not matured")
			return nil, nil
		}
		owner := testData.GetAccount(reporter, l.Owner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgWithdraw{Owner: owner.AddressBech32, LockId: l.Id}
	}
}

// MsgClaimRewardsFactory claims the rewards of a lock owner that has some to claim.
func MsgClaimRewardsFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgClaimRewards] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgClaimRewards) {
		_, owner, ok := randomLock(ctx, k, testData, reporter, func(types.Lock) bool { return true })
		if !ok {
			return nil, nil
		}
		pending, err := k.PendingRewards(ctx, owner.Address)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		if pending.IsZero() {
			reporter.Skip("nothing to claim")
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgClaimRewards{Owner: owner.AddressBech32}
	}
}

// MsgUpdateParamsFactory proposes random valid params (a governance message).
func MsgUpdateParamsFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(_ context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		return nil, &types.MsgUpdateParams{
			Authority: testData.ModuleAccountAddress(reporter, "gov"),
			Params:    GenParams(testData.Rand().Rand),
		}
	}
}
