package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// communityPool returns x/distribution's community pool and its module
// account's balance, in uaic.
func (f *fixture) communityPool() (math.LegacyDec, math.Int) {
	f.t.Helper()
	fp, err := f.ta.DistrKeeper.FeePool.Get(f.ta.Ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return fp.CommunityPool.AmountOf("uaic"), f.ta.Balance(f.ta.AccountKeeper.GetModuleAddress(distrtypes.ModuleName), "uaic")
}

// TestFirstLockerWindfall (item 6): fees reach the reward pool while no lock
// has weight, and wait there through a block; an attacker then locks the
// minimum for a week and claims. It gets nothing of the earlier fees: its
// lock sent them to the community pool first, to the coin. Fees after the
// lock are the locker's.
func TestFirstLockerWindfall(t *testing.T) {
	f := setup(t, 3)
	attacker, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	f.deposit(payer, sdk.NewCoins(uaic(700_000)))
	f.ta.NextBlock()
	if got := f.poolBalance(); !got.Equal(sdk.NewCoins(uaic(700_000))) {
		t.Fatalf("with no lock the pool holds %s, want the 700000 waiting", got)
	}
	poolBefore, distrBefore := f.communityPool()

	f.mustLock(attacker, 1_000_000, week)
	poolAfter, distrAfter := f.communityPool()
	if d := poolAfter.Sub(poolBefore); !d.Equal(math.LegacyNewDec(700_000)) {
		t.Fatalf("community pool grew by %s, want 700000", d)
	}
	if d := distrAfter.Sub(distrBefore); !d.Equal(math.NewInt(700_000)) {
		t.Fatalf("distribution account grew by %s, want 700000", d)
	}
	if !f.poolBalance().IsZero() {
		t.Fatalf("the reward pool kept %s", f.poolBalance())
	}
	if !hasEvent(f.ta.Ctx, "aichain.stakingrewards.v1.EventRewardsToCommunityPool") {
		t.Fatal("no EventRewardsToCommunityPool")
	}
	res, err := f.q.PendingRewards(f.ta.Ctx, &types.QueryPendingRewardsRequest{Owner: attacker.String()})
	if err != nil || !res.Rewards.IsZero() {
		t.Fatalf("the first locker's pending rewards: %s, %v", res.Rewards, err)
	}
	before := f.ta.Balance(attacker, "uaic")
	_, err = f.claim(attacker)
	expectErr(t, err, types.ErrNoRewards)
	if got := f.ta.Balance(attacker, "uaic"); !got.Equal(before) {
		t.Fatalf("attacker's balance moved by %s", got.Sub(before))
	}

	// Fees after the lock are the locker's.
	f.deposit(payer, sdk.NewCoins(uaic(300)))
	f.ta.NextBlock()
	paid, err := f.claim(attacker)
	if err != nil || !paid.Equal(sdk.NewCoins(uaic(300))) {
		t.Fatalf("fees after the lock: paid %s, %v", paid, err)
	}
	f.checkInvariants()
}

// TestUnlockingOwnerKeepsRewards: once the last lock begins unlocking, new
// fees wait in the pool, and the next lock sends them to the community pool;
// what lockers were already owed (Pending) stays theirs, to the coin.
func TestUnlockingOwnerKeepsRewards(t *testing.T) {
	f := setup(t, 3)
	alice, payer, bob := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	id := f.mustLock(alice, 1_000_000, week)
	f.deposit(payer, sdk.NewCoins(uaic(1_000)))
	f.ta.NextBlock()
	if _, err := f.k.BeginUnlock(f.ta.Ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	f.deposit(payer, sdk.NewCoins(uaic(300)))
	f.ta.NextBlock()
	if got := f.poolBalance(); !got.Equal(sdk.NewCoins(uaic(1_300))) {
		t.Fatalf("reward pool holds %s, want alice's 1000 and the waiting 300", got)
	}
	poolBefore, distrBefore := f.communityPool()
	f.mustLock(bob, 1_000_000, week)
	poolAfter, distrAfter := f.communityPool()
	if !poolAfter.Sub(poolBefore).Equal(math.LegacyNewDec(300)) || !distrAfter.Sub(distrBefore).Equal(math.NewInt(300)) {
		t.Fatalf("community pool grew by %s (account %s), want 300", poolAfter.Sub(poolBefore), distrAfter.Sub(distrBefore))
	}
	paid, err := f.claim(alice)
	if err != nil || !paid.Equal(sdk.NewCoins(uaic(1_000))) {
		t.Fatalf("alice paid %s, %v; want 1000", paid, err)
	}
	_, err = f.claim(bob)
	expectErr(t, err, types.ErrNoRewards)
	f.checkInvariants()
}

func hasEvent(ctx sdk.Context, typ string) bool {
	for _, e := range ctx.EventManager().Events() {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// TestAttackLockBeforeADenomIsRewarded: job fees in ufoo reach the reward
// pool for months while ufoo is not rewarded (900,000 waiting). A proposal
// to reward it passes, and its execution height is known: the attacker locks
// ten times alice's weight just before it. It gets nothing of the backlog,
// nor does anyone: the params change sends it to the community pool, to the
// coin. ufoo paid after the change is shared by weight (10 to 1).
func TestAttackLockBeforeADenomIsRewarded(t *testing.T) {
	f := setup(t, 3)
	alice, attacker := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	f.mustLock(alice, 1_000_000, week)
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", 900_000)))
	f.ta.NextBlock()
	f.mustLock(attacker, 10_000_000, week)
	fp, err := f.ta.DistrKeeper.FeePool.Get(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.listRewardDenoms("ufoo")
	after, err := f.ta.DistrKeeper.FeePool.Get(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := after.CommunityPool.AmountOf("ufoo").Sub(fp.CommunityPool.AmountOf("ufoo")); !d.Equal(math.LegacyNewDec(900_000)) {
		t.Fatalf("community pool grew by %s ufoo, want the 900000 backlog", d)
	}
	f.ta.NextBlock()
	for who, a := range map[string]sdk.AccAddress{"attacker": attacker, "alice": alice} {
		res, err := f.q.PendingRewards(f.ta.Ctx, &types.QueryPendingRewardsRequest{Owner: a.String()})
		if err != nil || !res.Rewards.AmountOf("ufoo").IsZero() {
			t.Fatalf("%s's pending ufoo after the listing: %s, %v", who, res.Rewards, err)
		}
	}
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", 11_000)))
	f.ta.NextBlock()
	f.mustClaim(attacker, sdk.NewInt64Coin("ufoo", 10_000))
	f.mustClaim(alice, sdk.NewInt64Coin("ufoo", 1_000))
	f.checkInvariants()
}
