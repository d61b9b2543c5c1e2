package keeper_test

import (
	"math/big"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackRecycledRewardsOverflowIndex: the attacker holds the only lock
// (weight 1: min_lock_amount is 1) and 2^255 units of a listed reward denom
// it controls (a voucher from a chain it runs). It pays them into the pool,
// claims them back and pays them in again. Each sync raises the denom's
// index by 2^255 per unit of weight, so the second would take it past the
// 256 bits of a decimal, whose arithmetic panics: in the EndBlocker, a halt
// of the chain. The sync leaves what the index cannot take in the pool
// instead: the attacker cannot claim it, blocks go on, and once alice's
// lock adds weight the coins are shared by weight like any fee, so the
// attacker has given away all but 1/3,000,001 of them.
func TestAttackRecycledRewardsOverflowIndex(t *testing.T) {
	f := setup(t, 3)
	attacker, alice, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	p, err := f.k.GetParams(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.MinLockAmount, p.RewardDenoms = math.NewInt(1), []string{"ufoo"}
	if _, err := f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: f.k.GetAuthority(), Params: p}); err != nil {
		t.Fatal(err)
	}
	f.mustLock(attacker, 1, week)
	f.ta.NextBlock()

	huge := sdk.NewCoin("ufoo", math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 255)))
	f.mintToPool(sdk.NewCoins(huge))
	f.ta.NextBlock()
	f.mustClaim(attacker, huge)
	f.deposit(attacker, sdk.NewCoins(huge))
	f.ta.NextBlock() // the sync that would overflow
	f.mustClaimNothing(attacker)

	// Locks, fees and claims go on. Once alice's lock makes the weight
	// 3,000,001, the waiting coins fit the index and are shared by weight:
	// the attacker gets back 1/3,000,001 of what it recycled.
	f.mustLock(alice, 3_000_000, week)
	f.ta.NextBlock()
	f.deposit(payer, sdk.NewCoins(uaic(3_000_001)))
	f.ta.NextBlock()
	alicePaid, err := f.claim(alice)
	if err != nil {
		t.Fatal(err)
	}
	attackerPaid, err := f.claim(attacker)
	if err != nil {
		t.Fatal(err)
	}
	if !alicePaid.AmountOf("uaic").Equal(math.NewInt(3_000_000)) || !attackerPaid.AmountOf("uaic").Equal(math.OneInt()) {
		t.Fatalf("uaic paid: alice %s, attacker %s; want 3000000 and 1", alicePaid, attackerPaid)
	}
	// Exact shares of the 2^255 by weight: alice 3,000,000/3,000,001, the
	// attacker 1/3,000,001; each is paid at most its share, less under 1
	// unit of truncation each (and under 1 of the index's 18 decimals).
	u, w := huge.Amount.BigInt(), big.NewInt(3_000_001)
	aliceShare := new(big.Int).Quo(new(big.Int).Mul(u, big.NewInt(3_000_000)), w)
	attackerShare := new(big.Int).Quo(u, w)
	for _, c := range []struct {
		who         string
		paid, share *big.Int
	}{{"alice", alicePaid.AmountOf("ufoo").BigInt(), aliceShare}, {"attacker", attackerPaid.AmountOf("ufoo").BigInt(), attackerShare}} {
		if short := new(big.Int).Sub(c.share, c.paid); short.Sign() < 0 || short.Cmp(big.NewInt(2)) > 0 {
			t.Fatalf("%s paid %s ufoo, its share is %s", c.who, c.paid, c.share)
		}
	}
	if got := f.ta.BankKeeper.GetBalance(f.ta.Ctx, attacker, "ufoo"); !got.Amount.Equal(attackerPaid.AmountOf("ufoo")) {
		t.Fatalf("attacker holds %s, want only its share %s", got, attackerPaid)
	}
	f.checkInvariants()
}

// TestAttackGenesisLockIDWrapOverwritesLock: a chain restarted from a
// doctored export starts the lock id sequence at 2^64−1 beside alice's
// lock 1. The sequence would give out 2^64−1, wrap to 0, and give id 1
// again, so that the attacker's third lock replaced alice's record and her
// 10M uaic could no longer be unlocked. Ids never wrap: the lock is refused
// (ErrIDsExhausted) and costs nothing, and lock 1 stays alice's.
func TestAttackGenesisLockIDWrapOverwritesLock(t *testing.T) {
	src := setup(t, 2)
	id := src.mustLock(src.ta.Accounts[0].Address, 10_000_000, week)
	gs, err := src.k.ExportGenesis(src.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	gs.NextLockId = ^uint64(0)

	// The restarted chain: the locked coins in the module, then the genesis.
	f := setup(t, 2)
	attacker := f.ta.Accounts[1].Address
	if err := f.ta.BankKeeper.SendCoinsFromAccountToModule(f.ta.Ctx, f.ta.Accounts[0].Address, types.ModuleName, src.moduleBalance()); err != nil {
		t.Fatal(err)
	}
	if err := f.k.InitGenesis(f.ta.Ctx, gs); err != nil {
		t.Fatalf("import: %v", err)
	}
	want := mustGetLock(f, id)
	start := f.ta.Balance(attacker, "uaic")
	for i := 0; i < 3; i++ {
		_, err := f.lock(attacker, 1_000_000, week)
		expectErr(t, err, types.ErrIDsExhausted)
	}
	if got := f.ta.Balance(attacker, "uaic"); !got.Equal(start) {
		t.Fatalf("attacker holds %s after refused locks, want %s", got, start)
	}
	if l := mustGetLock(f, id); l.Owner != want.Owner || !l.Amount.Equal(want.Amount) {
		t.Fatalf("lock %d after the wrap: %+v, want %+v", id, l, want)
	}
	f.checkInvariants()
}
