package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// gasOf runs fn like a tx on a cache of the current state (discarded) and
// returns the gas it used.
func (f *fixture) gasOf(fn func(ctx sdk.Context) error) uint64 {
	f.t.Helper()
	ctx, _ := f.ta.Ctx.CacheContext()
	ctx = ctx.WithGasMeter(storeGasMeter())
	if err := fn(ctx); err != nil {
		f.t.Fatal(err)
	}
	return ctx.GasMeter().GasConsumed()
}

// TestAttackDustDenomsRaiseLockGas: anyone may send an account coins, so a
// hostile party sends a locker dust of many denoms. When MsgLock checked the
// spendable balance with x/bank's SpendableCoins, which iterates over every
// denom the account holds, each of the victim's locks cost gas for every
// denom, for ever. The check reads the locked denom's balance only: a lock
// costs the same gas with 300 junk denoms in the account as with none, and
// moves exactly the locked amount.
func TestAttackDustDenomsRaiseLockGas(t *testing.T) {
	gas := func(junk int) uint64 {
		f := setup(t, 1)
		victim := f.ta.Accounts[0].Address
		if junk > 0 {
			f.ta.MintTo(victim, apptesting.JunkDenoms(junk, 1))
		}
		before, module := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, victim), f.moduleBalance()
		g := f.gasOf(func(ctx sdk.Context) error {
			_, err := f.ms.Lock(ctx, &types.MsgLock{Owner: victim.String(), Amount: uaic(5_000_000), Duration: week})
			return err
		})
		f.mustLock(victim, 5_000_000, week)
		if got := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, victim); !got.Equal(before.Sub(uaic(5_000_000))) {
			t.Fatalf("victim balance %s, want %s − 5000000uaic", got, before)
		}
		if got := f.moduleBalance(); !got.Equal(module.Add(uaic(5_000_000))) {
			t.Fatalf("module balance %s, want %s + 5000000uaic", got, module)
		}
		return g
	}
	clean, spammed := gas(0), gas(300)
	t.Logf("lock gas: clean %d, with 300 junk denoms %d", clean, spammed)
	if clean != spammed {
		t.Fatalf("junk denoms in the account raise the lock's gas: %d → %d", clean, spammed)
	}
}
