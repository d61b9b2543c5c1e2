package keeper_test

import (
	"errors"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

const (
	week = 7 * 24 * time.Hour
	year = 365 * 24 * time.Hour
)

type fixture struct {
	t  *testing.T
	ta *apptesting.TestApp
	k  keeper.Keeper
	ms types.MsgServer
	q  types.QueryServer
}

func setup(t *testing.T, accounts int) *fixture {
	t.Helper()
	ta := apptesting.Setup(t, accounts)
	k := ta.StakingRewardsKeeper
	return &fixture{t: t, ta: ta, k: k, ms: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k)}
}

func uaic(n int64) sdk.Coin { return sdk.NewInt64Coin(app.BondDenom, n) }

// deliver runs fn like a tx: on a cache context whose writes are kept only on
// success.
func (f *fixture) deliver(fn func(ctx sdk.Context) error) error {
	cc, write := f.ta.Ctx.CacheContext()
	if err := fn(cc); err != nil {
		return err
	}
	write()
	return nil
}

func (f *fixture) lock(owner sdk.AccAddress, amount int64, d time.Duration) (uint64, error) {
	var id uint64
	err := f.deliver(func(ctx sdk.Context) error {
		res, err := f.ms.Lock(ctx, &types.MsgLock{Owner: owner.String(), Amount: uaic(amount), Duration: d})
		if err == nil {
			id = res.LockId
		}
		return err
	})
	return id, err
}

func (f *fixture) mustLock(owner sdk.AccAddress, amount int64, d time.Duration) uint64 {
	f.t.Helper()
	id, err := f.lock(owner, amount, d)
	if err != nil {
		f.t.Fatalf("lock %d for %s: %v", amount, d, err)
	}
	return id
}

func (f *fixture) claim(owner sdk.AccAddress) (sdk.Coins, error) {
	var paid sdk.Coins
	err := f.deliver(func(ctx sdk.Context) error {
		res, err := f.ms.ClaimRewards(ctx, &types.MsgClaimRewards{Owner: owner.String()})
		if err == nil {
			paid = res.Amount
		}
		return err
	})
	return paid, err
}

func (f *fixture) extend(owner sdk.AccAddress, id uint64, d time.Duration) error {
	return f.deliver(func(ctx sdk.Context) error {
		_, err := f.ms.ExtendLock(ctx, &types.MsgExtendLock{Owner: owner.String(), LockId: id, Duration: d})
		return err
	})
}

// beginUnlock returns the time the lock matures.
func (f *fixture) beginUnlock(owner sdk.AccAddress, id uint64) (time.Time, error) {
	var at time.Time
	err := f.deliver(func(ctx sdk.Context) error {
		res, err := f.ms.BeginUnlock(ctx, &types.MsgBeginUnlock{Owner: owner.String(), LockId: id})
		if err == nil {
			at = res.UnlockTime
		}
		return err
	})
	return at, err
}

func (f *fixture) withdraw(owner sdk.AccAddress, id uint64) error {
	return f.deliver(func(ctx sdk.Context) error {
		_, err := f.ms.Withdraw(ctx, &types.MsgWithdraw{Owner: owner.String(), LockId: id})
		return err
	})
}

// mustClaim claims for owner and asserts that it pays exactly want and that
// owner's balances grow by exactly want.
func (f *fixture) mustClaim(owner sdk.AccAddress, want ...sdk.Coin) {
	f.t.Helper()
	w := sdk.NewCoins(want...)
	before := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, owner)
	paid, err := f.claim(owner)
	if err != nil {
		f.t.Fatalf("claim of %s: %v (want %s)", owner, err, w)
	}
	if !paid.Equal(w) {
		f.t.Fatalf("claim of %s paid %s, want %s", owner, paid, w)
	}
	if got := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, owner); !got.Equal(before.Add(w...)) {
		f.t.Fatalf("%s holds %s after its claim, want %s + %s", owner, got, before, w)
	}
}

// mustClaimNothing asserts that owner's claim is refused with ErrNoRewards.
func (f *fixture) mustClaimNothing(owner sdk.AccAddress) {
	f.t.Helper()
	_, err := f.claim(owner)
	expectErr(f.t, err, types.ErrNoRewards)
}

// deposit sends fees to the reward pool as other modules do.
func (f *fixture) deposit(from sdk.AccAddress, coins sdk.Coins) {
	f.t.Helper()
	if err := f.ta.BankKeeper.SendCoinsFromAccountToModule(f.ta.Ctx, from, common.RewardPoolName, coins); err != nil {
		f.t.Fatal(err)
	}
}

// mintToPool mints coins of any denom straight into the reward pool.
func (f *fixture) mintToPool(coins sdk.Coins) {
	f.t.Helper()
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, coins); err != nil {
		f.t.Fatal(err)
	}
	if err := f.ta.BankKeeper.SendCoinsFromModuleToModule(f.ta.Ctx, minttypes.ModuleName, common.RewardPoolName, coins); err != nil {
		f.t.Fatal(err)
	}
}

// listRewardDenoms sets params.reward_denoms, as a governance proposal would.
func (f *fixture) listRewardDenoms(denoms ...string) {
	f.t.Helper()
	params, err := f.k.GetParams(f.ta.Ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	params.RewardDenoms = denoms
	if _, err := f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: f.k.GetAuthority(), Params: params}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) poolBalance() sdk.Coins {
	return f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, f.k.RewardPoolAddress())
}

// mustPoolHold asserts that the reward pool holds exactly want (nothing if
// want is empty), what a test's claims leave in it.
func (f *fixture) mustPoolHold(want ...sdk.Coin) {
	f.t.Helper()
	if pool, w := f.poolBalance(), sdk.NewCoins(want...); !pool.Equal(w) {
		f.t.Fatalf("pool holds %s, want %s", pool, w)
	}
}

func (f *fixture) moduleBalance() sdk.Coins {
	return f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, f.ta.AccountKeeper.GetModuleAddress(types.ModuleName))
}

func expectErr(t *testing.T, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %v, got success", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("want error %v, got %v", want, err)
	}
}

// snapshot is the state a failed Msg must not change.
type snapshot struct {
	balances map[string]sdk.Coins
	totals   types.Totals
	index    sdk.DecCoins
	acc      sdk.DecCoins
	locks    []types.Lock
}

func (f *fixture) snapshot(addrs ...sdk.AccAddress) snapshot {
	f.t.Helper()
	s := snapshot{balances: map[string]sdk.Coins{}}
	all := append([]sdk.AccAddress{f.k.RewardPoolAddress(), f.ta.AccountKeeper.GetModuleAddress(types.ModuleName)}, addrs...)
	for _, a := range all {
		s.balances[a.String()] = f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, a)
	}
	var err error
	if s.totals, err = f.k.GetTotals(f.ta.Ctx); err != nil {
		f.t.Fatal(err)
	}
	if s.index, err = f.k.GetRewardIndex(f.ta.Ctx); err != nil {
		f.t.Fatal(err)
	}
	if s.acc, err = f.k.GetAccounted(f.ta.Ctx); err != nil {
		f.t.Fatal(err)
	}
	if err := f.k.Locks.Walk(f.ta.Ctx, nil, func(_ uint64, l types.Lock) (bool, error) {
		s.locks = append(s.locks, l)
		return false, nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) assertUnchanged(before snapshot, what string) {
	f.t.Helper()
	after := f.snapshot()
	for a, b := range before.balances {
		addr := sdk.MustAccAddressFromBech32(a)
		if got := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, addr); !got.Equal(b) {
			f.t.Fatalf("%s: balance of %s changed: %s -> %s", what, a, b, got)
		}
	}
	bt, at := before.totals, after.totals
	if !bt.Locked.Equal(at.Locked) || !bt.Unlocking.Equal(at.Unlocking) || !bt.Weight.Equal(at.Weight) || bt.LockCount != at.LockCount {
		f.t.Fatalf("%s: totals changed: %v -> %v", what, before.totals, after.totals)
	}
	if !before.index.Equal(after.index) || !before.acc.Equal(after.acc) {
		f.t.Fatalf("%s: reward accounting changed", what)
	}
	if len(before.locks) != len(after.locks) {
		f.t.Fatalf("%s: lock count changed %d -> %d", what, len(before.locks), len(after.locks))
	}
	for i := range before.locks {
		b1, _ := before.locks[i].Marshal()
		b2, _ := after.locks[i].Marshal()
		if string(b1) != string(b2) {
			f.t.Fatalf("%s: lock %d changed: %v -> %v", what, before.locks[i].Id, before.locks[i], after.locks[i])
		}
	}
}

// checkInvariants asserts: the module account holds exactly the locked coins;
// totals, owner weights and counts match the locks; Accounted equals
// Σ owner weight × (index − owner paid index) + Σ pending; and the reward pool holds at least
// Accounted.
func (f *fixture) checkInvariants() {
	f.t.Helper()
	ctx := f.ta.Ctx
	index, err := f.k.GetRewardIndex(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	held := sdk.Coins{}
	locked, unlocking, weight := math.ZeroInt(), math.ZeroInt(), math.ZeroInt()
	ownerWeight := map[string]math.Int{}
	ownerVote, voteWeight := map[string]math.Int{}, math.ZeroInt()
	owed := sdk.DecCoins{}
	var count uint64
	err = f.k.Locks.Walk(ctx, nil, func(_ uint64, l types.Lock) (bool, error) {
		count++
		held = held.Add(l.Amount)
		if l.IsUnlocking() {
			unlocking = unlocking.Add(l.Amount.Amount)
			if !l.Weight.IsZero() {
				f.t.Fatalf("unlocking lock %d has weight %s", l.Id, l.Weight)
			}
			return false, nil
		}
		locked = locked.Add(l.Amount.Amount)
		weight = weight.Add(l.Weight)
		if l.Votes {
			voteWeight = voteWeight.Add(l.Weight)
			if w, ok := ownerVote[l.Owner]; ok {
				ownerVote[l.Owner] = w.Add(l.Weight)
			} else {
				ownerVote[l.Owner] = l.Weight
			}
		}
		if w, ok := ownerWeight[l.Owner]; ok {
			ownerWeight[l.Owner] = w.Add(l.Weight)
		} else {
			ownerWeight[l.Owner] = l.Weight
		}
		return false, nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if got := f.moduleBalance(); !got.Equal(held) {
		f.t.Fatalf("invariant: module account holds %s, locks hold %s", got, held)
	}
	totals, err := f.k.GetTotals(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if !totals.Locked.Equal(locked) || !totals.Unlocking.Equal(unlocking) || !totals.Weight.Equal(weight) || totals.LockCount != count {
		f.t.Fatalf("invariant: totals %v, locks give locked %s unlocking %s weight %s count %d", totals, locked, unlocking, weight, count)
	}
	if !totals.VoteWeight.Equal(voteWeight) {
		f.t.Fatalf("invariant: total vote weight %s, voting locks give %s", totals.VoteWeight, voteWeight)
	}
	nVote := 0
	if err := f.k.OwnerVoteWeight.Walk(ctx, nil, func(owner sdk.AccAddress, w math.Int) (bool, error) {
		nVote++
		if want, ok := ownerVote[owner.String()]; !ok || !want.Equal(w) {
			f.t.Fatalf("invariant: owner %s vote weight %s, its voting locks give %v", owner, w, want)
		}
		return false, nil
	}); err != nil {
		f.t.Fatal(err)
	}
	if nVote != len(ownerVote) {
		f.t.Fatalf("invariant: %d owners with a vote weight, voting locks give %d", nVote, len(ownerVote))
	}
	for owner, w := range ownerWeight {
		got, err := f.k.OwnerLockWeight(ctx, sdk.MustAccAddressFromBech32(owner))
		if err != nil {
			f.t.Fatal(err)
		}
		if !got.Equal(w) {
			f.t.Fatalf("invariant: owner %s weight %s, locks give %s", owner, got, w)
		}
	}
	// Each owner with weight owes weight × (index − its paid index); exactly
	// the owners with weight have a paid index.
	nPaid := 0
	if err := f.k.OwnerIndexPaid.Walk(ctx, nil, func(owner sdk.AccAddress, p types.DecBalance) (bool, error) {
		nPaid++
		w, ok := ownerWeight[owner.String()]
		if !ok || !w.IsPositive() {
			f.t.Fatalf("invariant: owner %s has a paid index and no weight", owner)
		}
		diff, neg := index.SafeSub(p.Coins)
		if neg {
			f.t.Fatalf("invariant: owner %s paid index above the index", owner)
		}
		owed = owed.Add(diff.MulDec(math.LegacyNewDecFromInt(w))...)
		return false, nil
	}); err != nil {
		f.t.Fatal(err)
	}
	for _, w := range ownerWeight {
		if w.IsPositive() {
			nPaid--
		}
	}
	if nPaid != 0 {
		f.t.Fatalf("invariant: owners with weight and owners with a paid index differ")
	}
	if err := f.k.Pending.Walk(ctx, nil, func(_ sdk.AccAddress, b types.DecBalance) (bool, error) {
		owed = owed.Add(b.Coins...)
		return false, nil
	}); err != nil {
		f.t.Fatal(err)
	}
	acc, err := f.k.GetAccounted(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if !acc.Equal(owed) {
		f.t.Fatalf("invariant: accounted %s, locks and pending owe %s", acc, owed)
	}
	pool := sdk.NewDecCoinsFromCoins(f.poolBalance()...)
	if _, neg := pool.SafeSub(acc); neg {
		f.t.Fatalf("invariant: reward pool %s holds less than owed %s", pool, acc)
	}
}

func collectionsJoin(t time.Time, id uint64) collections.Pair[time.Time, uint64] {
	return collections.Join(t, id)
}

func pageReq(key []byte, limit uint64) *query.PageRequest {
	return &query.PageRequest{Key: key, Limit: limit}
}

func newGovStakingKeeper(f *fixture) keeper.GovStakingKeeper {
	return keeper.NewGovStakingKeeper(f.ta.StakingKeeper, f.k)
}

func storeGasMeter() storetypes.GasMeter { return storetypes.NewInfiniteGasMeter() }

// mustLockWeight is types.LockWeight of amounts that fit.
func mustLockWeight(t testing.TB, amount math.Int, multiplier math.LegacyDec) math.Int {
	t.Helper()
	w, err := types.LockWeight(amount, multiplier)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// asVersion2 models version 2, which distributed every denom the reward
// pool held: it lists denoms in reward_denoms (params.Set, past the
// version-3 cap if need be) until the returned restore sets the params back
// as they were, with no list, as version 2's had none. A test runs a block
// in between for the sync.
func (f *fixture) asVersion2(denoms ...string) (restore func()) {
	f.t.Helper()
	v2, err := f.k.GetParams(f.ta.Ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	asV2 := v2
	asV2.RewardDenoms = append(append([]string(nil), v2.RewardDenoms...), denoms...)
	if err := f.k.Params.Set(f.ta.Ctx, asV2); err != nil {
		f.t.Fatal(err)
	}
	return func() {
		f.t.Helper()
		if err := f.k.Params.Set(f.ta.Ctx, v2); err != nil {
			f.t.Fatal(err)
		}
	}
}

// denomsOf are the denoms of coins, in order.
func denomsOf(coins sdk.Coins) []string {
	out := make([]string, len(coins))
	for i, c := range coins {
		out[i] = c.Denom
	}
	return out
}

// paidOf is what a claim by owner pays of denom now (nothing when it has
// no rewards).
func (f *fixture) paidOf(owner sdk.AccAddress, denom string) math.Int {
	f.t.Helper()
	paid, err := f.claim(owner)
	if err != nil && !errors.Is(err, types.ErrNoRewards) {
		f.t.Fatal(err)
	}
	return paid.AmountOf(denom)
}

// namedInPlan are the fee denoms the app gives the 2→3 migration when the
// v3-verification plan's info names denoms (App.RewardFeeDenoms: x/compute's
// allowed_denoms, then the plan's reward_fee_denoms).
func (f *fixture) namedInPlan(denoms ...string) keeper.FeeDenoms {
	return func(ctx sdk.Context) ([]string, error) {
		d, err := f.ta.RewardFeeDenoms(ctx)
		return append(d, denoms...), err
	}
}

// migrateNamed runs the 2→3 migration with denom named in the upgrade plan
// (namedInPlan) on a version-2 state whose reward index holds denom, and
// checks that owner then claims the before of it earned before the upgrade.
func (f *fixture) migrateNamed(owner sdk.AccAddress, denom string, before math.Int) {
	f.t.Helper()
	if idx, _ := f.k.GetRewardIndex(f.ta.Ctx); idx.AmountOf(denom).IsZero() {
		f.t.Fatalf("set-up: %s is not in the reward index %s", denom, idx)
	}
	if err := keeper.NewMigrator(f.k).WithFeeDenoms(f.namedInPlan(denom)).Migrate2to3(f.ta.Ctx); err != nil {
		f.t.Fatal(err)
	}
	if paid, err := f.claim(owner); err != nil || !paid.AmountOf(denom).Equal(before) {
		f.t.Fatalf("%s claimed %s (%v), want %s%s earned before the upgrade", owner, paid, err, before, denom)
	}
}
