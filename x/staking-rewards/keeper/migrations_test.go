package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// toVersion1 rewrites the store as version 1 kept it: a paid index on each
// weighted lock (its owner's), no OwnerIndexPaid; then, to give an owner
// locks with different paid indexes, settles its last lock alone at the
// current index (its accrual moves to Pending, as version 1 did when a lock
// changed). It returns each owner's exact entitlement by the version-1 rule.
func toVersion1(t *testing.T, f *fixture) map[string]sdk.DecCoins {
	t.Helper()
	ctx := f.ta.Ctx
	index, err := f.k.GetRewardIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var locks []types.Lock
	if err := f.k.Locks.Walk(ctx, nil, func(_ uint64, l types.Lock) (bool, error) {
		locks = append(locks, l)
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	lastOf := map[string]int{}
	for i, l := range locks {
		if l.IsUnlocking() {
			continue
		}
		p, err := f.k.OwnerIndexPaid.Get(ctx, sdk.MustAccAddressFromBech32(l.Owner))
		if err != nil {
			t.Fatal(err)
		}
		locks[i].RewardIndexPaid = p.Coins
		lastOf[l.Owner] = i
	}
	for owner, i := range lastOf {
		l := &locks[i]
		earned := index.Sub(l.RewardIndexPaid).MulDec(math.LegacyNewDecFromInt(l.Weight))
		addr := sdk.MustAccAddressFromBech32(owner)
		pending, _ := f.k.GetPending(ctx, addr)
		if err := f.k.Pending.Set(ctx, addr, types.DecBalance{Coins: pending.Add(earned...)}); err != nil {
			t.Fatal(err)
		}
		l.RewardIndexPaid = index
		if err := f.k.OwnerIndexPaid.Remove(ctx, addr); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]sdk.DecCoins{}
	for _, l := range locks {
		if err := f.k.Locks.Set(ctx, l.Id, l); err != nil {
			t.Fatal(err)
		}
		if l.IsUnlocking() {
			continue
		}
		want[l.Owner] = want[l.Owner].Add(index.Sub(l.RewardIndexPaid).MulDec(math.LegacyNewDecFromInt(l.Weight))...)
	}
	for owner := range want {
		pending, _ := f.k.GetPending(ctx, sdk.MustAccAddressFromBech32(owner))
		want[owner] = want[owner].Add(pending...)
	}
	return want
}

// TestMigrate1to2: after the migration every owner is owed exactly what the
// per-lock accounting owed it, the invariants hold, and claims pay it.
func TestMigrate1to2(t *testing.T) {
	f := setup(t, 3)
	alice, bob, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 3_000_000, year)
	f.mustLock(alice, 5_000_000, week)
	f.deposit(payer, sdk.NewCoins(uaic(1_234_567)))
	f.ta.NextBlock()
	f.mustLock(alice, 2_000_000, week)
	f.mustLock(bob, 7_000_000, week)
	id := f.mustLock(bob, 4_000_000, week)
	f.deposit(payer, sdk.NewCoins(uaic(987_654)))
	f.ta.NextBlock()
	if _, err := f.k.BeginUnlock(f.ta.Ctx, bob, id); err != nil {
		t.Fatal(err)
	}
	f.deposit(payer, sdk.NewCoins(uaic(555_555)))
	f.ta.NextBlock()

	want := toVersion1(t, f)
	if err := keeper.NewMigrator(f.k).Migrate1to2(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	f.checkInvariants()
	index, _ := f.k.GetRewardIndex(f.ta.Ctx)
	for owner, w := range want {
		addr := sdk.MustAccAddressFromBech32(owner)
		pending, _ := f.k.GetPending(f.ta.Ctx, addr)
		p, err := f.k.OwnerIndexPaid.Get(f.ta.Ctx, addr)
		if err != nil || !p.Coins.Equal(index) {
			t.Fatalf("%s: paid index %v (%v), want the index %s", owner, p.Coins, err, index)
		}
		if !pending.Equal(w) {
			t.Fatalf("%s: owed %s after the migration, %s before", owner, pending, w)
		}
		paid, err := f.claim(addr)
		if err != nil {
			t.Fatal(err)
		}
		if wantPay, _ := w.TruncateDecimal(); !paid.Equal(wantPay) {
			t.Fatalf("%s: claim paid %s, want %s", owner, paid, wantPay)
		}
	}
	f.checkInvariants()
}

// TestInitGenesisPerLockIndexes: a genesis in the per-lock form (an owner's
// weighted locks with different paid indexes, as version 1 exported them)
// imports with every owner owed what it was owed.
func TestInitGenesisPerLockIndexes(t *testing.T) {
	f := setup(t, 2)
	alice, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	f.mustLock(alice, 3_000_000, year)
	f.deposit(payer, sdk.NewCoins(uaic(1_234_567)))
	f.ta.NextBlock()
	f.mustLock(alice, 5_000_000, week)
	f.deposit(payer, sdk.NewCoins(uaic(765_432)))
	f.ta.NextBlock()
	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Settle the first lock alone at the index, as version 1 did.
	l := &gs.Locks[0]
	earned := gs.RewardIndex.Sub(l.RewardIndexPaid).MulDec(math.LegacyNewDecFromInt(l.Weight))
	if earned.IsZero() {
		t.Fatal("the first lock has earned nothing: the test needs rewards")
	}
	l.RewardIndexPaid = gs.RewardIndex
	found := false
	for i := range gs.Pending {
		if gs.Pending[i].Owner == alice.String() {
			gs.Pending[i].Rewards, found = gs.Pending[i].Rewards.Add(earned...), true
		}
	}
	if !found {
		gs.Pending = append(gs.Pending, types.PendingReward{Owner: alice.String(), Rewards: earned})
	}

	g := setup(t, 1)
	if err := g.ta.BankKeeper.SendCoinsFromAccountToModule(g.ta.Ctx, g.ta.Accounts[0].Address, types.ModuleName, f.moduleBalance()); err != nil {
		t.Fatal(err)
	}
	g.deposit(g.ta.Accounts[0].Address, f.poolBalance())
	if err := g.k.InitGenesis(g.ta.Ctx, gs); err != nil {
		t.Fatal(err)
	}
	g.checkInvariants()
	fa, _ := f.k.GetAccounted(f.ta.Ctx)
	ga, _ := g.k.GetAccounted(g.ta.Ctx)
	fp, _ := f.k.PendingRewards(f.ta.Ctx, alice)
	gp, _ := g.k.PendingRewards(g.ta.Ctx, alice)
	if !fa.Equal(ga) || !fp.Equal(gp) {
		t.Fatalf("after import: accounted %s (was %s), alice owed %s (was %s)", ga, fa, gp, fp)
	}
}

// TestMigrate2to3: version 2 distributed every denom in the pool. The
// migration lists the denoms already in the reward index (other than
// lock_denom) as reward_denoms, the first types.MaxRewardDenoms in denom
// order when there are more (a pool someone sent many denoms). What lockers
// were owed of every denom stays claimable, to the coin; afterwards only the
// listed denoms are distributed.
func TestMigrate2to3(t *testing.T) {
	f := setup(t, 2)
	alice, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	f.mustLock(alice, 10_000_000, week) // the only weight
	// Version 2: every denom in the pool is distributed. 20 denoms arrive.
	junk := apptesting.JunkDenoms(types.MaxRewardDenoms+4, 1_000)
	restore := f.asVersion2(denomsOf(junk)...) // more than version 3 allows
	f.mintToPool(junk)
	f.deposit(payer, sdk.NewCoins(uaic(5_000)))
	f.ta.NextBlock()
	restore()

	if err := keeper.NewMigrator(f.k).Migrate2to3(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	got, err := f.k.GetParams(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("migrated params invalid: %v", err)
	}
	if len(got.RewardDenoms) != types.MaxRewardDenoms {
		t.Fatalf("reward_denoms %v, want the first %d denoms of the index", got.RewardDenoms, types.MaxRewardDenoms)
	}
	for i, d := range got.RewardDenoms {
		if d != junk[i].Denom {
			t.Fatalf("reward_denoms[%d] = %s, want %s", i, d, junk[i].Denom)
		}
	}
	f.checkInvariants()

	// Owed before the migration: everything, in all 21 denoms.
	paid, err := f.claim(alice)
	if err != nil || !paid.Equal(junk.Add(uaic(5_000))) {
		t.Fatalf("claim after the migration %s %v, want %s", paid, err, junk.Add(uaic(5_000)))
	}
	// After: a listed and an unlisted denom arrive; only the listed one is
	// distributed, the other waits in the pool.
	listed, unlisted := junk[0], junk[len(junk)-1]
	f.mintToPool(sdk.NewCoins(listed, unlisted))
	f.ta.NextBlock()
	f.checkInvariants()
	if paid, err := f.claim(alice); err != nil || !paid.Equal(sdk.NewCoins(listed)) {
		t.Fatalf("claim %s %v, want %s only", paid, err, listed)
	}
	if pool := f.poolBalance(); !pool.Equal(sdk.NewCoins(unlisted)) {
		t.Fatalf("pool %s, want %s waiting", pool, unlisted)
	}
}

// TestMigrate3to4: version 3 counted every lock in governance. The
// migration sets min_vote_lock_duration to 21 days, marks the locks of at
// least that as voting, and builds the owners' and the total governance
// weights from the locked ones: week locks keep their reward weight and lose
// their votes.
func TestMigrate3to4(t *testing.T) {
	f := setup(t, 2)
	alice, bob := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	aliceWeek := f.mustLock(alice, 1_000_000, week)
	aliceYear := f.mustLock(alice, 1_000_000, year)      // weight 2M
	bob90 := f.mustLock(bob, 1_000_000, 90*24*time.Hour) // weight 1.5M
	bobUnlocking := f.mustLock(bob, 1_000_000, year)
	if _, err := f.beginUnlock(bob, bobUnlocking); err != nil {
		t.Fatal(err)
	}
	// Version 3's state: no flag, no vote weights, no param.
	v3, err := f.k.GetParams(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	v3.MinVoteLockDuration = 0
	if err := f.k.Params.Set(f.ta.Ctx, v3); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{aliceWeek, aliceYear, bob90, bobUnlocking} {
		l, err := f.k.GetLock(f.ta.Ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		l.Votes = false
		if err := f.k.Locks.Set(f.ta.Ctx, id, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.k.OwnerVoteWeight.Clear(f.ta.Ctx, nil); err != nil {
		t.Fatal(err)
	}
	totals, err := f.k.GetTotals(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	totals.VoteWeight = math.ZeroInt()
	if err := f.k.Totals.Set(f.ta.Ctx, totals); err != nil {
		t.Fatal(err)
	}

	if err := keeper.NewMigrator(f.k).Migrate3to4(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	got, err := f.k.GetParams(f.ta.Ctx)
	if err != nil || got.MinVoteLockDuration != types.DefaultMinVoteLockDuration {
		t.Fatalf("min_vote_lock_duration %s, %v; want 21 days", got.MinVoteLockDuration, err)
	}
	for id, want := range map[uint64]bool{aliceWeek: false, aliceYear: true, bob90: true, bobUnlocking: true} {
		if l, err := f.k.GetLock(f.ta.Ctx, id); err != nil || l.Votes != want {
			t.Fatalf("lock %d votes %v (%v), want %v", id, l.Votes, err, want)
		}
	}
	for owner, want := range map[string]int64{alice.String(): 2_000_000, bob.String(): 1_500_000} {
		vp, err := f.q.VotingPower(f.ta.Ctx, &types.QueryVotingPowerRequest{Address: owner})
		if err != nil || !vp.LockWeight.Equal(math.NewInt(want)) {
			t.Fatalf("%s's governance weight %v (%v), want %d", owner, vp, err, want)
		}
	}
	if totals, err := f.k.GetTotals(f.ta.Ctx); err != nil || !totals.VoteWeight.Equal(math.NewInt(3_500_000)) || !totals.Weight.Equal(math.NewInt(4_500_000)) {
		t.Fatalf("totals %+v %v: want vote weight 3500000 of weight 4500000", totals, err)
	}
	f.checkInvariants()
}
