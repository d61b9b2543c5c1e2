package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

func TestLock(t *testing.T) {
	f := setup(t, 2)
	alice := f.ta.Accounts[0].Address
	before := f.ta.Balance(alice, "uaic")

	id := f.mustLock(alice, 5_000_000, year)
	if id != 1 {
		t.Fatalf("first lock id %d, want 1", id)
	}
	l, err := f.k.GetLock(f.ta.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if l.Owner != alice.String() || !l.Amount.Equal(uaic(5_000_000)) || l.Duration != year ||
		!l.Multiplier.Equal(math.LegacyNewDec(2)) || !l.Weight.Equal(math.NewInt(10_000_000)) || l.IsUnlocking() {
		t.Fatalf("unexpected lock %+v", l)
	}
	if !l.StartTime.Equal(f.ta.Ctx.BlockTime()) {
		t.Fatalf("start time %s, want %s", l.StartTime, f.ta.Ctx.BlockTime())
	}
	if got := f.ta.Balance(alice, "uaic"); !got.Equal(before.SubRaw(5_000_000)) {
		t.Fatalf("alice balance %s, want %s", got, before.SubRaw(5_000_000))
	}
	w, _ := f.k.OwnerLockWeight(f.ta.Ctx, alice)
	if !w.Equal(math.NewInt(10_000_000)) {
		t.Fatalf("owner weight %s", w)
	}
	f.checkInvariants()

	// Events: a typed EventLock.
	found := false
	for _, e := range f.ta.Ctx.EventManager().Events() {
		if e.Type == "aichain.stakingrewards.v1.EventLock" {
			found = true
		}
	}
	if !found {
		t.Fatal("no EventLock emitted")
	}

	// A second lock of the same owner gets the next id and a 30d tier's weight.
	id2 := f.mustLock(alice, 4_000_000, 30*24*time.Hour)
	l2, _ := f.k.GetLock(f.ta.Ctx, id2)
	if id2 != 2 || !l2.Weight.Equal(math.NewInt(5_000_000)) {
		t.Fatalf("second lock id %d weight %s", id2, l2.Weight)
	}
	f.checkInvariants()
}

func TestLockFailures(t *testing.T) {
	f := setup(t, 2)
	alice := f.ta.Accounts[0].Address
	poor := f.ta.NewAccount(sdk.NewCoins(uaic(2_000_000)))
	snap := f.snapshot(alice, poor.Address)

	cases := []struct {
		name string
		msg  *types.MsgLock
		want error
	}{
		{"zero amount", &types.MsgLock{Owner: alice.String(), Amount: uaic(0), Duration: week}, types.ErrInvalidAmount},
		{"below minimum", &types.MsgLock{Owner: alice.String(), Amount: uaic(999_999), Duration: week}, types.ErrInvalidAmount},
		{"wrong denom", &types.MsgLock{Owner: alice.String(), Amount: sdk.NewInt64Coin("ufoo", 5_000_000), Duration: week}, types.ErrInvalidAmount},
		{"unknown tier", &types.MsgLock{Owner: alice.String(), Amount: uaic(5_000_000), Duration: 8 * 24 * time.Hour}, types.ErrUnknownTier},
		{"zero duration", &types.MsgLock{Owner: alice.String(), Amount: uaic(5_000_000)}, types.ErrUnknownTier},
		{"bad owner", &types.MsgLock{Owner: "aic1bad", Amount: uaic(5_000_000), Duration: week}, types.ErrInvalidAddress},
		{"insufficient funds", &types.MsgLock{Owner: poor.Address.String(), Amount: uaic(3_000_000), Duration: week}, sdkerrors.ErrInsufficientFunds},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := f.deliver(func(ctx sdk.Context) error {
				_, err := f.ms.Lock(ctx, c.msg)
				return err
			})
			expectErr(t, err, c.want)
			f.assertUnchanged(snap, c.name)
		})
	}

	// Too many locks.
	p, _ := f.k.GetParams(f.ta.Ctx)
	p.MaxLocksPerOwner = 2
	if err := f.k.Params.Set(f.ta.Ctx, p); err != nil {
		t.Fatal(err)
	}
	f.mustLock(alice, 1_000_000, week)
	f.mustLock(alice, 1_000_000, week)
	snap = f.snapshot(alice)
	_, err := f.lock(alice, 1_000_000, week)
	expectErr(t, err, types.ErrTooManyLocks)
	f.assertUnchanged(snap, "too many locks")
	f.checkInvariants()
}

func TestExtendLock(t *testing.T) {
	f := setup(t, 2)
	alice, bob := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	id := f.mustLock(alice, 10_000_000, week)
	f.deposit(bob, sdk.NewCoins(uaic(1_000)))
	f.ta.NextBlock()

	snap := f.snapshot(alice, bob)
	expectErr(t, f.extend(alice, id, week), types.ErrNotLonger)
	f.assertUnchanged(snap, "extend to the same tier")
	expectErr(t, f.extend(bob, id, year), types.ErrNotLockOwner)
	f.assertUnchanged(snap, "foreign lock")
	expectErr(t, f.extend(alice, 99, year), types.ErrLockNotFound)
	expectErr(t, f.extend(alice, id, 400*24*time.Hour), types.ErrUnknownTier)
	expectErr(t, f.extend(alice, 0, year), types.ErrLockNotFound)
	f.assertUnchanged(snap, "bad extends")

	// Success: the rewards earned at the old weight are settled into pending.
	if err := f.extend(alice, id, 90*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	l, _ := f.k.GetLock(f.ta.Ctx, id)
	if l.Duration != 90*24*time.Hour || !l.Weight.Equal(math.NewInt(15_000_000)) {
		t.Fatalf("extended lock %+v", l)
	}
	pending, _ := f.k.GetPending(f.ta.Ctx, alice)
	if !pending.AmountOf("uaic").Equal(math.LegacyNewDec(1_000)) {
		t.Fatalf("pending after extend %s, want 1000uaic", pending)
	}
	f.checkInvariants()

	// Extend to shorter fails.
	snap = f.snapshot(alice)
	expectErr(t, f.extend(alice, id, 30*24*time.Hour), types.ErrNotLonger)
	f.assertUnchanged(snap, "extend to shorter")

	// An unlocking lock cannot be extended.
	if _, err := f.k.BeginUnlock(f.ta.Ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	expectErr(t, f.extend(alice, id, year), types.ErrAlreadyUnlocking)

	// The claim pays the settled 1000uaic.
	paid, err := f.claim(alice)
	if err != nil || !paid.Equal(sdk.NewCoins(uaic(1_000))) {
		t.Fatalf("claim after extend: %s, %v", paid, err)
	}
	f.checkInvariants()
}

func TestBeginUnlockAndWithdraw(t *testing.T) {
	f := setup(t, 2)
	alice, bob := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	start := f.ta.Balance(alice, "uaic")
	id := f.mustLock(alice, 10_000_000, week)

	snap := f.snapshot(alice, bob)
	expectErr(t, f.withdraw(alice, id), types.ErrNotUnlocking)
	_, err := f.beginUnlock(bob, id)
	expectErr(t, err, types.ErrNotLockOwner)
	_, err = f.beginUnlock(alice, 42)
	expectErr(t, err, types.ErrLockNotFound)
	_, err = f.beginUnlock(alice, 0)
	expectErr(t, err, types.ErrLockNotFound)
	f.assertUnchanged(snap, "failed unlock/withdraw")

	unlockAt, err := f.beginUnlock(alice, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.ta.Ctx.BlockTime().Add(week); !unlockAt.Equal(want) {
		t.Fatalf("unlock time %s, want %s", unlockAt, want)
	}
	l, _ := f.k.GetLock(f.ta.Ctx, id)
	if !l.IsUnlocking() || !l.Weight.IsZero() {
		t.Fatalf("lock after begin-unlock %+v", l)
	}
	if w, _ := f.k.OwnerLockWeight(f.ta.Ctx, alice); !w.IsZero() {
		t.Fatalf("owner weight %s after begin-unlock, want 0", w)
	}
	f.checkInvariants()

	snap = f.snapshot(alice, bob)
	_, err = f.beginUnlock(alice, id)
	expectErr(t, err, types.ErrAlreadyUnlocking)
	expectErr(t, f.withdraw(alice, id), types.ErrNotMatured)
	expectErr(t, f.withdraw(bob, id), types.ErrNotLockOwner)
	f.assertUnchanged(snap, "withdraw too early")

	// One second before maturity: still too early.
	f.ta.NextBlockAfter(week - time.Second)
	expectErr(t, f.withdraw(alice, id), types.ErrNotMatured)
	f.ta.NextBlockAfter(time.Second)
	if err := f.withdraw(alice, id); err != nil {
		t.Fatalf("withdraw at maturity: %v", err)
	}
	if got := f.ta.Balance(alice, "uaic"); !got.Equal(start) {
		t.Fatalf("alice balance %s after withdraw, want %s", got, start)
	}
	if _, err := f.k.GetLock(f.ta.Ctx, id); err == nil {
		t.Fatal("lock still exists after withdraw")
	}
	if has, _ := f.k.UnlockQueue.Has(f.ta.Ctx, collectionsJoin(unlockAt, id)); has {
		t.Fatal("lock still queued after withdraw")
	}
	expectErr(t, f.withdraw(alice, id), types.ErrLockNotFound)
	f.checkInvariants()
}
