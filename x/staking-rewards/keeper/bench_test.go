package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
)

// benchEndBlocker measures the EndBlocker (reward sync + unlock queue) with
// n locks and fresh fees every block: its cost must not grow with n.
func benchEndBlocker(b *testing.B, n int) {
	ta := apptesting.Setup(b, 2)
	k := ta.StakingRewardsKeeper
	payer := ta.Accounts[1].Address
	p, _ := k.GetParams(ta.Ctx)
	p.MaxLocksPerOwner = 1000
	if err := k.Params.Set(ta.Ctx, p); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		owner := ta.Accounts[i%2].Address
		if _, err := k.CreateLock(ta.Ctx, owner, uaic(1_000_000), week); err != nil {
			b.Fatal(err)
		}
	}
	ta.NextBlock()
	fee := sdk.NewCoins(uaic(1_000))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := ta.BankKeeper.SendCoinsFromAccountToModule(ta.Ctx, payer, common.RewardPoolName, fee); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := k.EndBlocker(ta.Ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEndBlocker10Locks(b *testing.B)   { benchEndBlocker(b, 10) }
func BenchmarkEndBlocker2000Locks(b *testing.B) { benchEndBlocker(b, 2000) }

// TestEndBlockerGasIndependentOfLocks checks the O(1) claim with gas: the
// EndBlocker reads and writes the same number of bytes with 3 or 300 locks.
func TestEndBlockerGasIndependentOfLocks(t *testing.T) {
	gas := func(n int) uint64 {
		ta := apptesting.Setup(t, 2)
		k := ta.StakingRewardsKeeper
		p, _ := k.GetParams(ta.Ctx)
		p.MaxLocksPerOwner = 1000
		_ = k.Params.Set(ta.Ctx, p)
		for i := 0; i < n; i++ {
			if _, err := k.CreateLock(ta.Ctx, ta.Accounts[0].Address, uaic(1_000_000), week); err != nil {
				t.Fatal(err)
			}
		}
		ta.NextBlock()
		if err := ta.BankKeeper.SendCoinsFromAccountToModule(ta.Ctx, ta.Accounts[1].Address, common.RewardPoolName, sdk.NewCoins(uaic(12_345))); err != nil {
			t.Fatal(err)
		}
		ctx := ta.Ctx.WithGasMeter(storeGasMeter())
		if err := k.EndBlocker(ctx); err != nil {
			t.Fatal(err)
		}
		idx, _ := k.GetRewardIndex(ctx)
		if idx.IsZero() {
			t.Fatal("index did not move")
		}
		return ctx.GasMeter().GasConsumed()
	}
	small, large := gas(3), gas(300)
	t.Logf("EndBlocker gas: %d with 3 locks, %d with 300 locks", small, large)
	if small == 0 {
		t.Fatal("no gas metered")
	}
	// The index values differ in length by a few bytes at most.
	if large > small+200 || small > large+200 {
		t.Fatalf("EndBlocker gas %d with 3 locks vs %d with 300 locks", small, large)
	}
}
