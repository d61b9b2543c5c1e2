package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackDenomSpamRewardPool: the reward pool is open to gifts, so a
// hostile party sends it one small coin of each of many junk denoms. When
// every denom in the pool was distributed, every EndBlock's sync and every
// lock, extend, begin-unlock and claim read each of them and wrote an index
// entry per denom into the global index and each owner's paid index, for
// ever: the chain's per-block work and every locker's gas grew with the
// attacker's denoms, at a one-off cost to the attacker. Only the rewarded
// denoms (lock_denom and params.reward_denoms) are distributed: the sync
// and a claim use the same gas with 300 junk denoms in the pool as with
// none, the lockers are paid their fees to the coin, and the junk waits in
// the pool, untouched, until governance lists a denom, which then reaches
// lockers like any fee.
func TestAttackDenomSpamRewardPool(t *testing.T) {
	type result struct {
		syncGas, claimGas uint64
		f                 *fixture
	}
	run := func(junk int) result {
		f := setup(t, 3)
		alice, bob, carol := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
		f.mustLock(alice, 20_000_000, year) // weight 40M
		f.mustLock(bob, 10_000_000, year)   // weight 20M: alice 2/3, bob 1/3
		if junk > 0 {
			f.mintToPool(apptesting.JunkDenoms(junk, 60))
		}
		f.deposit(carol, sdk.NewCoins(uaic(3_000)))
		syncGas := f.gasOf(func(ctx sdk.Context) error { return f.k.SyncRewards(ctx) })
		f.ta.NextBlock() // EndBlock syncs
		f.checkInvariants()
		claimGas := f.gasOf(func(ctx sdk.Context) error {
			_, err := f.ms.ClaimRewards(ctx, &types.MsgClaimRewards{Owner: alice.String()})
			return err
		})
		return result{syncGas: syncGas, claimGas: claimGas, f: f}
	}
	clean, spammed := run(0), run(300)
	t.Logf("sync gas: clean %d, 300 junk denoms %d; claim gas: clean %d, spammed %d",
		clean.syncGas, spammed.syncGas, clean.claimGas, spammed.claimGas)
	if clean.syncGas != spammed.syncGas || clean.claimGas != spammed.claimGas {
		t.Fatalf("junk denoms in the pool raise the lockers' costs: sync %d → %d, claim %d → %d",
			clean.syncGas, spammed.syncGas, clean.claimGas, spammed.claimGas)
	}

	f := spammed.f
	alice, bob := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	if idx, _ := f.k.GetRewardIndex(f.ta.Ctx); len(idx) != 1 || idx[0].Denom != "uaic" {
		t.Fatalf("reward index holds unlisted denoms: %s", idx)
	}
	// Balances to the coin: alice and bob are paid their uaic fees; the junk
	// stays in the pool, 60 of each of the 300 denoms.
	aliceBefore, bobBefore := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, alice), f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, bob)
	if paid, err := f.claim(alice); err != nil || !paid.Equal(sdk.NewCoins(uaic(2_000))) {
		t.Fatalf("alice claim %s %v, want 2000uaic", paid, err)
	}
	if paid, err := f.claim(bob); err != nil || !paid.Equal(sdk.NewCoins(uaic(1_000))) {
		t.Fatalf("bob claim %s %v, want 1000uaic", paid, err)
	}
	if got := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, alice); !got.Equal(aliceBefore.Add(uaic(2_000))) {
		t.Fatalf("alice balance %s, want %s + 2000uaic", got, aliceBefore)
	}
	if got := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, bob); !got.Equal(bobBefore.Add(uaic(1_000))) {
		t.Fatalf("bob balance %s, want %s + 1000uaic", got, bobBefore)
	}
	junk := apptesting.JunkDenoms(300, 60)
	if got := f.poolBalance(); !got.Equal(junk) {
		t.Fatalf("pool %s, want the junk only (%d denoms, 60 each)", got, len(junk))
	}
	res, err := f.q.Totals(f.ta.Ctx, &types.QueryTotalsRequest{})
	if err != nil || !res.RewardPool.IsZero() {
		t.Fatalf("totals query reward_pool %s %v, want the rewarded denoms' balance (none left)", res.GetRewardPool(), err)
	}

	// Governance lists one of the denoms: what waited of it goes to the
	// community pool (TestAttackLockBeforeADenomIsRewarded), what is paid
	// of it from then on reaches lockers at the next sync, 40 to alice and
	// 20 to bob; the others stay put.
	listed := junk[0].Denom
	f.listRewardDenoms(listed)
	if got := f.poolBalance(); !got.Equal(junk[1:]) {
		t.Fatalf("pool after listing %s, want the 299 unlisted denoms (the listed one's backlog to the community pool)", got)
	}
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin(listed, 60)))
	f.ta.NextBlock()
	f.checkInvariants()
	if paid, err := f.claim(alice); err != nil || !paid.Equal(sdk.NewCoins(sdk.NewInt64Coin(listed, 40))) {
		t.Fatalf("alice claim after listing %s %v, want 40%s", paid, err, listed)
	}
	if paid, err := f.claim(bob); err != nil || !paid.Equal(sdk.NewCoins(sdk.NewInt64Coin(listed, 20))) {
		t.Fatalf("bob claim after listing %s %v, want 20%s", paid, err, listed)
	}
	if got := f.poolBalance(); !got.Equal(junk[1:]) {
		t.Fatalf("pool after listing %s, want the 299 unlisted denoms", got)
	}
}
