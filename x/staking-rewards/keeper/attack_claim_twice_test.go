package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackClaimTwiceTakesOthersShare: a claim pays the owner's entitlement
// straight from its accrual (no Pending round trip), so a second claim in the
// same block, before the index moves, must find nothing: alice, with half
// the weight, claims twice and gets her 1,000 uaic once; bob's 1,000 are
// still his, to the coin, and the pool ends empty.
func TestAttackClaimTwiceTakesOthersShare(t *testing.T) {
	f := setup(t, 3)
	alice, bob, carol := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	f.mustLock(alice, 10_000_000, week)
	f.mustLock(bob, 10_000_000, week)
	f.deposit(carol, sdk.NewCoins(uaic(2_000)))
	f.ta.NextBlock()

	aliceBefore := f.ta.BankKeeper.GetBalance(f.ta.Ctx, alice, "uaic")
	if paid, err := f.claim(alice); err != nil || !paid.Equal(sdk.NewCoins(uaic(1_000))) {
		t.Fatalf("alice's first claim paid %s, %v; want 1000uaic", paid, err)
	}
	snap := f.snapshot(alice, bob)
	_, err := f.claim(alice)
	expectErr(t, err, types.ErrNoRewards)
	f.assertUnchanged(snap, "alice's second claim")
	if got := f.ta.BankKeeper.GetBalance(f.ta.Ctx, alice, "uaic"); !got.Amount.Equal(aliceBefore.Amount.AddRaw(1_000)) {
		t.Fatalf("alice has %s, want %s + 1000", got, aliceBefore)
	}
	if paid, err := f.claim(bob); err != nil || !paid.Equal(sdk.NewCoins(uaic(1_000))) {
		t.Fatalf("bob paid %s, %v; want 1000uaic", paid, err)
	}
	if pool := f.poolBalance(); !pool.IsZero() {
		t.Fatalf("pool holds %s after both claims", pool)
	}
	f.checkInvariants()
}
