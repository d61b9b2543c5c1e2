package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// Attacks on rounding (many small locks, frequent claims) and on params
// changed under open locks.

// TestAttackSplitLocksForRounding: the attacker splits 100,000,300 uaic into
// 100 locks of 1,000,003 for 30 days (×1.25), hoping that locks rounded or
// settled one by one earn more than one lock; alice locks the same total in
// one lock. Weight is floor(amount × multiplier) per lock, so splitting can
// only drop fractions: the attacker weighs 125,000,300 (100 × 1,250,003)
// against alice's 125,000,375, and a fee of one uaic per unit of weight pays
// it 75 uaic less than alice, to the coin.
func TestAttackSplitLocksForRounding(t *testing.T) {
	f := setup(t, 3)
	alice, attacker, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	const month = 30 * 24 * time.Hour
	for i := 0; i < 100; i++ {
		f.mustLock(attacker, 1_000_003, month)
	}
	f.mustLock(alice, 100_000_300, month)
	wa, err := f.k.OwnerLockWeight(f.ta.Ctx, attacker)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := f.k.OwnerLockWeight(f.ta.Ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if !wa.Equal(math.NewInt(125_000_300)) || !wh.Equal(math.NewInt(125_000_375)) {
		t.Fatalf("weights: attacker %s, alice %s", wa, wh)
	}
	f.ta.NextBlock()

	f.deposit(payer, sdk.NewCoins(uaic(250_000_675))) // index +1 exactly
	f.ta.NextBlock()
	f.mustClaim(attacker, uaic(125_000_300))
	f.mustClaim(alice, uaic(125_000_375))
	f.mustPoolHold()
	f.checkInvariants()
}

// TestAttackFrequentClaimsHarvestDust: alice and the attacker have equal
// weight, and a 7 uaic fee arrives each block (3.5 each). The attacker
// claims every block, hoping that a claim's rounding, repeated, pays it
// more than its share; alice claims once at the end. A claim pays the floor
// and hands its fraction back to all weight, so the attacker is paid 3 a
// block (30 of its exact 35) and alice 39 (35 + the attacker's fractions,
// 4.0009765625, floored); the 1 uaic left waits in the pool.
func TestAttackFrequentClaimsHarvestDust(t *testing.T) {
	f := setup(t, 3)
	alice, attacker, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 1_000_000, week)
	f.mustLock(attacker, 1_000_000, week)
	f.ta.NextBlock()
	for i := 0; i < 10; i++ {
		f.deposit(payer, sdk.NewCoins(uaic(7)))
		f.ta.NextBlock()
		f.mustClaim(attacker, uaic(3))
		f.checkInvariants()
	}
	f.mustClaim(alice, uaic(39))
	f.mustPoolHold(uaic(1)) // the dust
	f.checkInvariants()
}

// TestAttackGovParamsStrandLockers: a hostile (or careless) proposal
// changes the params under alice's locks: it delists ufoo, of which she has
// earned 2,500, drops the tier of her year lock, raises min_lock_amount above
// her locks and cuts max_locks_per_owner below her count. Had claims paid
// only the rewarded denoms, or unlocks needed the lock's tier, she would lose
// her ufoo or her principal. She claims her 2,500 ufoo and 5,000 uaic,
// unlocks both locks for their own durations and gets her 15M uaic back,
// to the coin; ufoo paid after the delisting waits in the pool.
func TestAttackGovParamsStrandLockers(t *testing.T) {
	f := setup(t, 2)
	alice, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	f.listRewardDenoms("ufoo")
	start := f.ta.Balance(alice, "uaic")
	yearLock := f.mustLock(alice, 10_000_000, year)
	weekLock := f.mustLock(alice, 5_000_000, week)
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", 2_500)))
	f.deposit(payer, sdk.NewCoins(uaic(5_000)))
	f.ta.NextBlock()

	p, err := f.k.GetParams(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.RewardDenoms = nil
	p.LockTiers = p.LockTiers[:2] // 7d and 30d only
	p.MinLockAmount = math.NewInt(50_000_000)
	p.MaxLocksPerOwner = 1
	if _, err := f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: f.k.GetAuthority(), Params: p}); err != nil {
		t.Fatal(err)
	}
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", 700)))
	f.ta.NextBlock()

	for _, id := range []uint64{yearLock, weekLock} {
		if _, err := f.beginUnlock(alice, id); err != nil {
			t.Fatalf("begin unlock %d after the params change: %v", id, err)
		}
	}
	if l := mustGetLock(f, yearLock); !l.UnlockTime().Equal(f.ta.Ctx.BlockTime().Add(year)) {
		t.Fatalf("year lock unlocks at %s", l.UnlockTime())
	}
	f.mustClaim(alice, sdk.NewInt64Coin("ufoo", 2_500), uaic(5_000))
	f.ta.NextBlockAfter(year)
	f.ta.NextBlock() // the EndBlocker pays both locks back
	if got, want := f.ta.Balance(alice, "uaic"), start.AddRaw(5_000); !got.Equal(want) {
		t.Fatalf("alice holds %s, want %s (principal + 5000)", got, want)
	}
	f.mustPoolHold(sdk.NewInt64Coin("ufoo", 700)) // paid after the delisting
	f.checkInvariants()
}
