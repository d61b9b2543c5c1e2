package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackPreUpgradeJunkDenomsKeepLockersGasHigh: the junk-denom fix
// (only rewarded denoms are distributed, TestAttackDenomSpamRewardPool:
// "the sync and a claim use the same gas with 300 junk denoms in the pool
// as with none") does not reach junk sent before the upgrade. Version 1
// distributed every denom the open reward pool held, so an attacker's 300
// one-unit IBC denoms entered the reward index. Migrations 1→2 and 2→3 keep
// the whole index (the junk is listed nowhere but stays in RewardIndex) and
// write it into every owner's OwnerIndexPaid: after the upgrade, once every
// junk coin owed has been claimed, each EndBlock sync and every locker's
// later claim still read (and a claim rewrites) 300 index entries, for
// ever. Honest outcome: after the upgrade a locker's claim of its uaic fees
// and the sync cost the same gas as on a chain that never got the junk.
func TestAttackPreUpgradeJunkDenomsKeepLockersGasHigh(t *testing.T) {
	type result struct{ syncGas, claimGas uint64 }
	run := func(junk int) result {
		f := setup(t, 3)
		alice, bob, carol := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
		f.mustLock(alice, 20_000_000, year)
		f.mustLock(bob, 10_000_000, year)
		// Version 2's state: every pool denom distributed.
		coins := apptesting.JunkDenoms(junk, 60)
		restore := f.asVersion2(denomsOf(coins)...)
		f.mintToPool(coins)
		f.deposit(carol, sdk.NewCoins(uaic(3_000)))
		f.ta.NextBlock()
		restore()
		// The upgrade's migration 2→3 as the app registers it (1→2's
		// per-owner index is what the fixture already keeps).
		if err := keeper.NewMigrator(f.k).WithFeeDenoms(f.ta.RewardFeeDenoms).Migrate2to3(f.ta.Ctx); err != nil {
			t.Fatal(err)
		}
		// Everything owed before the upgrade is claimed, junk included.
		if _, err := f.claim(alice); err != nil {
			t.Fatal(err)
		}
		if _, err := f.claim(bob); err != nil {
			t.Fatal(err)
		}
		// After the upgrade: fees in uaic only.
		f.deposit(carol, sdk.NewCoins(uaic(3_000)))
		syncGas := f.gasOf(func(ctx sdk.Context) error { return f.k.SyncRewards(ctx) })
		f.ta.NextBlock()
		claimGas := f.gasOf(func(ctx sdk.Context) error {
			_, err := f.ms.ClaimRewards(ctx, &types.MsgClaimRewards{Owner: alice.String()})
			return err
		})
		f.mustClaim(alice, uaic(2_000))
		return result{syncGas: syncGas, claimGas: claimGas}
	}
	clean, spammed := run(0), run(300)
	t.Logf("after the upgrade: sync gas clean %d, with 300 pre-upgrade junk denoms %d; claim gas clean %d, with them %d",
		clean.syncGas, spammed.syncGas, clean.claimGas, spammed.claimGas)
	if clean.syncGas != spammed.syncGas || clean.claimGas != spammed.claimGas {
		t.Fatalf("junk denoms sent before the upgrade raise the lockers' costs after it: sync %d → %d, claim %d → %d",
			clean.syncGas, spammed.syncGas, clean.claimGas, spammed.claimGas)
	}
}
