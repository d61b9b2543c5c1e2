package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aichain/aichain/testutil/events"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// unlockAll locks amounts for a week, one lock per owner, and begins
// unlocking them all in the same block; it returns the lock ids and their
// common unlock time.
func (f *fixture) unlockAll(owners []sdk.AccAddress, amounts []int64) ([]uint64, time.Time) {
	f.t.Helper()
	var ids []uint64
	var at time.Time
	for i, o := range owners {
		id := f.mustLock(o, amounts[i], week)
		t0, err := f.k.BeginUnlock(f.ta.Ctx, o, id)
		if err != nil {
			f.t.Fatal(err)
		}
		ids, at = append(ids, id), t0
	}
	return ids, at
}

func (f *fixture) queued() []string {
	f.t.Helper()
	var out []string
	it, err := f.k.UnlockQueue.Iterate(f.ta.Ctx, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	keys, err := it.Keys()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s/%d", k.K1().UTC().Format(time.RFC3339Nano), k.K2()))
	}
	return out
}

// TestUnlockQueueEntryFailureRetried: three locks mature in the same block
// and the module account cannot pay the middle one back (the test moved
// coins away). The other two are paid in that block; the failed one leaves
// no trace but its queue entry, re-queued at the block time with an
// EventQueueEntryRetried; once the coins are back it is paid in a later
// block. Balances are checked to the coin.
func TestUnlockQueueEntryFailureRetried(t *testing.T) {
	f := setup(t, 3)
	owners := []sdk.AccAddress{f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address}
	sink := f.ta.NewAccount(sdk.NewCoins(uaic(1))) // where the test moves the module's coins
	start := make([]math.Int, len(owners))
	for i, o := range owners {
		start[i] = f.ta.Balance(o, "uaic")
	}
	ids, unlockAt := f.unlockAll(owners, []int64{1_000_000, 3_000_000, 2_000_000})
	f.ta.NextBlockAfter(week + time.Minute) // this block is past the maturity

	// The module account holds 6 AIC; take 2.5 away: 1 and 2 can be paid, not 3.
	taken := sdk.NewCoins(uaic(2_500_000))
	if err := f.ta.BankKeeper.SendCoinsFromModuleToAccount(f.ta.Ctx, types.ModuleName, sink.Address, taken); err != nil {
		t.Fatal(err)
	}
	failed, failedLock := ids[1], mustGetLock(f, ids[1])
	now := f.ta.Ctx.BlockTime()
	ctx := f.ta.Ctx.WithEventManager(sdk.NewEventManager())
	if err := f.k.EndBlocker(ctx); err != nil {
		t.Fatalf("EndBlocker: %v", err)
	}
	for _, i := range []int{0, 2} {
		if !f.ta.Balance(owners[i], "uaic").Equal(start[i]) {
			t.Fatalf("owner %d has %s after its withdrawal, want %s", i, f.ta.Balance(owners[i], "uaic"), start[i])
		}
		if _, err := f.k.GetLock(ctx, ids[i]); err == nil {
			t.Fatalf("lock %d still exists after its withdrawal", ids[i])
		}
	}
	withdrawn := events.Typed[types.EventWithdraw](t, ctx)
	if len(withdrawn) != 2 || withdrawn[0].LockId != ids[0] || withdrawn[1].LockId != ids[2] || !withdrawn[0].Automatic {
		t.Fatalf("withdrawals %+v, want locks %d and %d", withdrawn, ids[0], ids[2])
	}
	retried := events.Typed[common.EventQueueEntryRetried](t, ctx)
	if len(retried) != 1 || retried[0].Module != types.ModuleName || retried[0].Queue != "unlock_queue" ||
		retried[0].Id != fmt.Sprint(failed) || retried[0].Due != unlockAt.UTC().Format(time.RFC3339Nano) ||
		retried[0].RetryAt != now.UTC().Format(time.RFC3339Nano) || retried[0].Error == "" {
		t.Fatalf("retried events %+v", retried)
	}
	// Nothing of the failed withdrawal was kept: the lock, the totals and the
	// owner's balance are as before; only the entry moved, to the block time.
	if got := mustGetLock(f, failed); got.String() != failedLock.String() {
		t.Fatalf("failed lock changed: %v -> %v", failedLock, got)
	}
	if tot, _ := f.k.GetTotals(ctx); tot.LockCount != 1 || !tot.Unlocking.Equal(math.NewInt(3_000_000)) {
		t.Fatalf("totals after the failing block: %v", tot)
	}
	if got, want := f.ta.Balance(owners[1], "uaic"), start[1].SubRaw(3_000_000); !got.Equal(want) {
		t.Fatalf("owner 1 has %s, want %s", got, want)
	}
	if got := f.moduleBalance(); !got.Equal(sdk.NewCoins(uaic(500_000))) {
		t.Fatalf("module account holds %s, want 500000uaic", got)
	}
	if q := f.queued(); len(q) != 1 || q[0] != fmt.Sprintf("%s/%d", now.UTC().Format(time.RFC3339Nano), failed) {
		t.Fatalf("queue after the failing block: %v", q)
	}

	// The coins come back; a later block pays the lock.
	f.ta.NextBlock()
	if err := f.ta.BankKeeper.SendCoinsFromAccountToModule(f.ta.Ctx, sink.Address, types.ModuleName, taken); err != nil {
		t.Fatal(err)
	}
	ctx = f.ta.Ctx.WithEventManager(sdk.NewEventManager())
	if err := f.k.EndBlocker(ctx); err != nil {
		t.Fatalf("EndBlocker: %v", err)
	}
	if ev := events.Typed[types.EventWithdraw](t, ctx); len(ev) != 1 || ev[0].LockId != failed {
		t.Fatalf("withdrawals of the retry: %+v", ev)
	}
	for i, o := range owners {
		if !f.ta.Balance(o, "uaic").Equal(start[i]) {
			t.Fatalf("owner %d has %s, want %s", i, f.ta.Balance(o, "uaic"), start[i])
		}
	}
	if got := f.ta.Balance(sink.Address, "uaic"); !got.Equal(math.NewInt(1)) {
		t.Fatalf("sink has %s, want 1", got)
	}
	if got := f.moduleBalance(); !got.IsZero() {
		t.Fatalf("module account holds %s, want nothing", got)
	}
	if q := f.queued(); len(q) != 0 {
		t.Fatalf("queue not empty: %v", q)
	}
	f.checkInvariants()
}

// TestRetriedUnlockWithdrawnByHandIsNoop: a lock whose automatic withdrawal
// failed is withdrawn by its owner before the retry; the retried entry then
// finds no lock and does nothing.
func TestRetriedUnlockWithdrawnByHandIsNoop(t *testing.T) {
	f := setup(t, 1)
	alice := f.ta.Accounts[0].Address
	sink := f.ta.NewAccount(sdk.NewCoins(uaic(1)))
	start := f.ta.Balance(alice, "uaic")
	ids, _ := f.unlockAll([]sdk.AccAddress{alice}, []int64{2_000_000})
	f.ta.NextBlockAfter(week + time.Minute) // past maturity: the retry key differs from the unlock time
	taken := sdk.NewCoins(uaic(1_000_000))
	if err := f.ta.BankKeeper.SendCoinsFromModuleToAccount(f.ta.Ctx, types.ModuleName, sink.Address, taken); err != nil {
		t.Fatal(err)
	}
	if err := f.k.EndBlocker(f.ta.Ctx); err != nil {
		t.Fatalf("EndBlocker: %v", err)
	}
	if len(f.queued()) != 1 {
		t.Fatalf("failed withdrawal not re-queued: %v", f.queued())
	}
	if err := f.ta.BankKeeper.SendCoinsFromAccountToModule(f.ta.Ctx, sink.Address, types.ModuleName, taken); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ms.Withdraw(f.ta.Ctx, &types.MsgWithdraw{Owner: alice.String(), LockId: ids[0]}); err != nil {
		t.Fatalf("withdraw by hand: %v", err)
	}
	if len(f.queued()) != 1 {
		t.Fatalf("the retried entry should still be queued: %v", f.queued())
	}
	ctx := f.ta.Ctx.WithEventManager(sdk.NewEventManager()) // the retry is due now
	if err := f.k.EndBlocker(ctx); err != nil {
		t.Fatalf("EndBlocker: %v", err)
	}
	if len(ctx.EventManager().Events()) != 0 {
		t.Fatalf("stale entry emitted %v", ctx.EventManager().Events())
	}
	if q := f.queued(); len(q) != 0 {
		t.Fatalf("queue not empty: %v", q)
	}
	if got := f.ta.Balance(alice, "uaic"); !got.Equal(start) {
		t.Fatalf("alice has %s, want %s", got, start)
	}
	f.checkInvariants()
}

func mustGetLock(f *fixture, id uint64) types.Lock {
	f.t.Helper()
	l, err := f.k.GetLock(f.ta.Ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func TestAutomaticWithdrawalIsCappedPerBlock(t *testing.T) {
	f := setup(t, 2)
	alice := f.ta.Accounts[0].Address
	p, _ := f.k.GetParams(f.ta.Ctx)
	p.MaxWithdrawalsPerBlock = 2
	if err := f.k.Params.Set(f.ta.Ctx, p); err != nil {
		t.Fatal(err)
	}
	start := f.ta.Balance(alice, "uaic")
	for i := 0; i < 5; i++ {
		id := f.mustLock(alice, 1_000_000, week)
		if _, err := f.k.BeginUnlock(f.ta.Ctx, alice, id); err != nil {
			t.Fatal(err)
		}
	}
	f.ta.NextBlockAfter(week) // the next block's time is at maturity
	count := func() uint64 {
		tot, _ := f.k.GetTotals(f.ta.Ctx)
		return tot.LockCount
	}
	if count() != 5 {
		t.Fatalf("locks before maturity: %d", count())
	}
	for _, want := range []uint64{3, 1, 0} {
		f.ta.NextBlock()
		if got := count(); got != want {
			t.Fatalf("locks left %d, want %d (cap 2 per block)", got, want)
		}
		f.checkInvariants()
	}
	if got := f.ta.Balance(alice, "uaic"); !got.Equal(start) {
		t.Fatalf("alice %s after automatic withdrawals, want %s", got, start)
	}
}

// TestStaleUnlockQueueEntryDoesNotHalt: an unlock-queue entry without its
// lock (impossible through the Msgs) is dropped by the EndBlocker instead of
// failing the block.
func TestStaleUnlockQueueEntryDoesNotHalt(t *testing.T) {
	f := setup(t, 1)
	key := collectionsJoin(f.ta.Ctx.BlockTime().Add(-time.Hour), 12345)
	if err := f.k.UnlockQueue.Set(f.ta.Ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := f.k.EndBlocker(f.ta.Ctx); err != nil {
		t.Fatalf("EndBlocker: %v", err)
	}
	if has, _ := f.k.UnlockQueue.Has(f.ta.Ctx, key); has {
		t.Fatal("stale entry still queued")
	}
}
