package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

func TestClaimRewards(t *testing.T) {
	f := setup(t, 3)
	f.listRewardDenoms("ufoo")
	alice, bob, carol := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address

	// Nothing to claim yet.
	snap := f.snapshot(alice)
	_, err := f.claim(alice)
	expectErr(t, err, types.ErrNoRewards)
	f.assertUnchanged(snap, "claim with no locks")
	_, err = f.claim(sdk.AccAddress("short"))
	expectErr(t, err, types.ErrNoRewards)
	err = f.deliver(func(ctx sdk.Context) error {
		_, err := f.ms.ClaimRewards(ctx, &types.MsgClaimRewards{Owner: "nope"})
		return err
	})
	expectErr(t, err, types.ErrInvalidAddress)

	// Fees with no weight wait in the pool; the first lock sends them to the
	// community pool (see TestFirstLockerWindfall).
	f.deposit(carol, sdk.NewCoins(uaic(500)))
	f.ta.NextBlock()
	if idx, _ := f.k.GetRewardIndex(f.ta.Ctx); !idx.IsZero() {
		t.Fatalf("index moved with zero weight: %s", idx)
	}

	// alice weight 2 × 10M (year), bob 1 × 10M (week): 2:1.
	f.mustLock(alice, 10_000_000, year)
	f.mustLock(bob, 10_000_000, week)
	f.deposit(carol, sdk.NewCoins(uaic(3_000)))
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", 300)))
	f.ta.NextBlock()
	f.checkInvariants()

	// The first 500 uaic arrived before any lock and went to the community
	// pool: alice and bob share only what came after, 2:1.
	res, err := f.q.PendingRewards(f.ta.Ctx, &types.QueryPendingRewardsRequest{Owner: alice.String()})
	if err != nil {
		t.Fatal(err)
	}
	wantAlice := sdk.NewCoins(uaic(2_000), sdk.NewInt64Coin("ufoo", 200))
	if !res.Rewards.Equal(wantAlice) {
		t.Fatalf("alice pending %s, want %s", res.Rewards, wantAlice)
	}
	aliceBefore := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, alice)
	paid, err := f.claim(alice)
	if err != nil {
		t.Fatal(err)
	}
	if !paid.Equal(wantAlice) {
		t.Fatalf("alice paid %s, want %s", paid, wantAlice)
	}
	if got := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, alice); !got.Equal(aliceBefore.Add(wantAlice...)) {
		t.Fatalf("alice balance %s, want %s", got, aliceBefore.Add(wantAlice...))
	}
	// Claiming again right away pays nothing.
	snap = f.snapshot(alice)
	_, err = f.claim(alice)
	expectErr(t, err, types.ErrNoRewards)
	f.assertUnchanged(snap, "second claim")

	paid, err = f.claim(bob)
	if err != nil || !paid.Equal(sdk.NewCoins(uaic(1_000), sdk.NewInt64Coin("ufoo", 100))) {
		t.Fatalf("bob paid %s, %v", paid, err)
	}
	f.checkInvariants()
	if pool := f.poolBalance(); !pool.IsZero() {
		t.Fatalf("pool should be empty after exact claims, holds %s", pool)
	}
}

func TestClaimDustIsRedistributed(t *testing.T) {
	f := setup(t, 4)
	a, b, c, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address, f.ta.Accounts[3].Address
	f.mustLock(a, 1_000_000, week)
	f.mustLock(b, 1_000_000, week)
	f.mustLock(c, 1_000_000, week)
	f.deposit(payer, sdk.NewCoins(uaic(10))) // 10/3 each: 3.33…
	f.ta.NextBlock()
	total := math.ZeroInt()
	for _, o := range []sdk.AccAddress{a, b, c} {
		paid, err := f.claim(o)
		if err != nil {
			t.Fatal(err)
		}
		if !paid.AmountOf("uaic").Equal(math.NewInt(3)) {
			t.Fatalf("paid %s, want 3uaic", paid)
		}
		total = total.Add(paid.AmountOf("uaic"))
		f.checkInvariants()
	}
	// The 1 uaic of dust is unaccounted again and distributed by the next block.
	if pool := f.poolBalance().AmountOf("uaic"); !pool.Equal(math.OneInt()) {
		t.Fatalf("pool keeps %s, want 1 uaic of dust", pool)
	}
	// Each claim's own fractional remainder was redistributed by the next
	// sync (the next claim's), so the owners now hold fractions that a later
	// deposit tops up; nothing is lost and nothing is paid twice.
	f.deposit(payer, sdk.NewCoins(uaic(2)))
	f.ta.NextBlock()
	for _, o := range []sdk.AccAddress{a, b, c} {
		paid, err := f.claim(o)
		if err != nil && !errors.Is(err, types.ErrNoRewards) {
			t.Fatal(err)
		}
		total = total.Add(paid.AmountOf("uaic"))
		f.checkInvariants()
	}
	pool := f.poolBalance().AmountOf("uaic")
	if !total.Add(pool).Equal(math.NewInt(12)) {
		t.Fatalf("paid %s + pool %s != 12 deposited", total, pool)
	}
	if pool.GT(math.NewInt(2)) || total.LT(math.NewInt(10)) {
		t.Fatalf("paid %s, pool keeps %s: more dust than one uaic per other owner", total, pool)
	}
}
