package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// Attacks that time a lock, an extension, an unlock or a claim around a fee
// reaching the reward pool. The rule they test: a fee belongs to the weight
// present when it arrives, so every change of weight first distributes what
// the pool already holds.

// TestAttackLockAfterFeeInSameBlock: a 1,900 uaic fee reaches the pool while
// alice (weight 10M) is the only locker; in the same block, after it, the
// attacker locks 90M uaic for a year (weight 180M) and claims at the next
// block. Were the lock's weight added before the pool's coins were
// distributed, the block's sync would split the fee 10:180 and alice would
// lose 1,800 uaic to a lock that did not exist when the fee was paid. The
// attacker gets nothing of it; later fees are shared by weight.
func TestAttackLockAfterFeeInSameBlock(t *testing.T) {
	f := setup(t, 3)
	alice, attacker, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 10_000_000, week)
	f.ta.NextBlock()

	start := f.ta.Balance(attacker, "uaic")
	f.deposit(payer, sdk.NewCoins(uaic(1_900)))
	f.mustLock(attacker, 90_000_000, year)
	f.ta.NextBlock()
	f.mustClaimNothing(attacker)
	f.mustClaim(alice, uaic(1_900))

	// From the lock on, fees are shared 10:180.
	f.deposit(payer, sdk.NewCoins(uaic(1_900)))
	f.ta.NextBlock()
	f.mustClaim(attacker, uaic(1_800))
	f.mustClaim(alice, uaic(100))
	if got, want := f.ta.Balance(attacker, "uaic"), start.SubRaw(90_000_000).AddRaw(1_800); !got.Equal(want) {
		t.Fatalf("attacker holds %s, want %s", got, want)
	}
	f.mustPoolHold()
	f.checkInvariants()
}

// TestAttackExtendLockRetroactiveWeight: alice and the attacker each lock
// 10M uaic for a week (equal weight). A 1,000 uaic fee arrives; in the same
// block, after it, the attacker extends its lock to a year (weight 20M).
// Were the new weight applied before the fee was distributed, the attacker
// would take 666 of a fee paid while its weight was half, and alice would
// lose 167. It gets 500; only later fees see its doubled weight.
func TestAttackExtendLockRetroactiveWeight(t *testing.T) {
	f := setup(t, 3)
	alice, attacker, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 10_000_000, week)
	id := f.mustLock(attacker, 10_000_000, week)
	f.ta.NextBlock()

	f.deposit(payer, sdk.NewCoins(uaic(1_000)))
	if err := f.extend(attacker, id, year); err != nil {
		t.Fatal(err)
	}
	f.ta.NextBlock()
	f.mustClaim(attacker, uaic(500))
	f.mustClaim(alice, uaic(500))

	f.deposit(payer, sdk.NewCoins(uaic(3_000)))
	f.ta.NextBlock()
	f.mustClaim(attacker, uaic(2_000))
	f.mustClaim(alice, uaic(1_000))
	f.mustPoolHold()
	f.checkInvariants()
}

// TestAttackSandwichFeeDeposit: the attacker sees a 4,000 uaic fee coming
// and, in the same block, locks 10M uaic just before it, then begins
// unlocking and claims just after it. It gets its pro-rata share of that
// one fee (10M of 40M weight: 1,000), the rule for any weight present when a
// fee arrives, and nothing more: its weight is gone from the unlock on, so
// the 3,000 of the following week are all alice's, and its principal stays
// held for the whole tier. Alice is paid her 3,000 + 3,000 to the coin.
func TestAttackSandwichFeeDeposit(t *testing.T) {
	f := setup(t, 3)
	alice, attacker, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 30_000_000, week)
	f.ta.NextBlock()

	start := f.ta.Balance(attacker, "uaic")
	id := f.mustLock(attacker, 10_000_000, week)
	f.deposit(payer, sdk.NewCoins(uaic(4_000)))
	if _, err := f.beginUnlock(attacker, id); err != nil {
		t.Fatal(err)
	}
	f.mustClaim(attacker, uaic(1_000))

	// The week its principal is held earns the attacker nothing.
	f.deposit(payer, sdk.NewCoins(uaic(3_000)))
	f.ta.NextBlock()
	expectErr(t, f.withdraw(attacker, id), types.ErrNotMatured)
	f.mustClaimNothing(attacker)
	f.mustClaim(alice, uaic(6_000))

	f.ta.NextBlockAfter(week)
	if err := f.withdraw(attacker, id); err != nil {
		t.Fatal(err)
	}
	if got, want := f.ta.Balance(attacker, "uaic"), start.AddRaw(1_000); !got.Equal(want) {
		t.Fatalf("attacker holds %s after the sandwich, want %s (its principal + 1000)", got, want)
	}
	f.mustPoolHold()
	f.checkInvariants()
}

// TestAttackRelockEarnsGapFees: the attacker unlocks its lock, lets alice
// alone earn a 2,000 uaic fee, then locks again and claims. Were its old
// paid index kept while it had no weight (or not reset by the new lock),
// the new lock would earn the whole gap as if it had been there: 1,000 taken
// from alice, which the pool does not even hold for both. It gets nothing of
// the gap; alice gets all of it.
func TestAttackRelockEarnsGapFees(t *testing.T) {
	f := setup(t, 3)
	alice, attacker, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 10_000_000, week)
	id := f.mustLock(attacker, 10_000_000, week)
	f.ta.NextBlock()
	if _, err := f.beginUnlock(attacker, id); err != nil {
		t.Fatal(err)
	}
	f.deposit(payer, sdk.NewCoins(uaic(2_000)))
	f.ta.NextBlock()

	f.mustLock(attacker, 10_000_000, week)
	f.ta.NextBlock()
	f.mustClaimNothing(attacker)
	f.mustClaim(alice, uaic(2_000))

	// The new lock earns from its creation on.
	f.deposit(payer, sdk.NewCoins(uaic(600)))
	f.ta.NextBlock()
	f.mustClaim(attacker, uaic(300))
	f.mustClaim(alice, uaic(300))
	f.checkInvariants()
}
