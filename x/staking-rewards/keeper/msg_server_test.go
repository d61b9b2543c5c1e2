package keeper_test

import (
	"errors"
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

	extend := func(owner sdk.AccAddress, id uint64, d time.Duration) error {
		return f.deliver(func(ctx sdk.Context) error {
			_, err := f.ms.ExtendLock(ctx, &types.MsgExtendLock{Owner: owner.String(), LockId: id, Duration: d})
			return err
		})
	}
	snap := f.snapshot(alice, bob)
	expectErr(t, extend(alice, id, week), types.ErrNotLonger)
	f.assertUnchanged(snap, "extend to the same tier")
	expectErr(t, extend(bob, id, year), types.ErrNotLockOwner)
	f.assertUnchanged(snap, "foreign lock")
	expectErr(t, extend(alice, 99, year), types.ErrLockNotFound)
	expectErr(t, extend(alice, id, 400*24*time.Hour), types.ErrUnknownTier)
	expectErr(t, extend(alice, 0, year), types.ErrLockNotFound)
	f.assertUnchanged(snap, "bad extends")

	// Success: the rewards earned at the old weight are settled into pending.
	if err := extend(alice, id, 90*24*time.Hour); err != nil {
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
	expectErr(t, extend(alice, id, 30*24*time.Hour), types.ErrNotLonger)
	f.assertUnchanged(snap, "extend to shorter")

	// An unlocking lock cannot be extended.
	if _, err := f.k.BeginUnlock(f.ta.Ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	expectErr(t, extend(alice, id, year), types.ErrAlreadyUnlocking)

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

	beginUnlock := func(owner sdk.AccAddress, id uint64) (time.Time, error) {
		var t0 time.Time
		err := f.deliver(func(ctx sdk.Context) error {
			res, err := f.ms.BeginUnlock(ctx, &types.MsgBeginUnlock{Owner: owner.String(), LockId: id})
			if err == nil {
				t0 = res.UnlockTime
			}
			return err
		})
		return t0, err
	}
	withdraw := func(owner sdk.AccAddress, id uint64) error {
		return f.deliver(func(ctx sdk.Context) error {
			_, err := f.ms.Withdraw(ctx, &types.MsgWithdraw{Owner: owner.String(), LockId: id})
			return err
		})
	}

	snap := f.snapshot(alice, bob)
	expectErr(t, withdraw(alice, id), types.ErrNotUnlocking)
	_, err := beginUnlock(bob, id)
	expectErr(t, err, types.ErrNotLockOwner)
	_, err = beginUnlock(alice, 42)
	expectErr(t, err, types.ErrLockNotFound)
	_, err = beginUnlock(alice, 0)
	expectErr(t, err, types.ErrLockNotFound)
	f.assertUnchanged(snap, "failed unlock/withdraw")

	unlockAt, err := beginUnlock(alice, id)
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
	_, err = beginUnlock(alice, id)
	expectErr(t, err, types.ErrAlreadyUnlocking)
	expectErr(t, withdraw(alice, id), types.ErrNotMatured)
	expectErr(t, withdraw(bob, id), types.ErrNotLockOwner)
	f.assertUnchanged(snap, "withdraw too early")

	// One second before maturity: still too early.
	f.ta.NextBlockAfter(week - time.Second)
	expectErr(t, withdraw(alice, id), types.ErrNotMatured)
	f.ta.NextBlockAfter(time.Second)
	if err := withdraw(alice, id); err != nil {
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
	expectErr(t, withdraw(alice, id), types.ErrLockNotFound)
	f.checkInvariants()
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

func TestClaimRewards(t *testing.T) {
	f := setup(t, 3)
	alice, bob, carol := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address

	// Nothing to claim yet.
	snap := f.snapshot(alice)
	_, err := f.claim(alice)
	expectErr(t, err, types.ErrNoRewards)
	f.assertUnchanged(snap, "claim with no locks")
	_, err = f.claim(sdk.AccAddress("short"))
	expectErr(t, err, types.ErrNoRewards)
	err = f.deliver(func(ctx sdk.Context) error {
		_, err := f.ms.ClaimRewards(ctx, &types.MsgClaimRewards{Owner: "nope"})
		return err
	})
	expectErr(t, err, types.ErrInvalidAddress)

	// Fees with no weight stay in the pool.
	f.deposit(carol, sdk.NewCoins(uaic(500)))
	f.ta.NextBlock()
	if idx, _ := f.k.GetRewardIndex(f.ta.Ctx); !idx.IsZero() {
		t.Fatalf("index moved with zero weight: %s", idx)
	}

	// alice weight 2 × 10M (year), bob 1 × 10M (week): 2:1.
	f.mustLock(alice, 10_000_000, year)
	f.mustLock(bob, 10_000_000, week)
	f.deposit(carol, sdk.NewCoins(uaic(3_000)))
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", 300)))
	f.ta.NextBlock()
	f.checkInvariants()

	// The first 500 uaic arrived before any lock: alice's lock (the first)
	// got it all at bob's lock's sync.
	res, err := f.q.PendingRewards(f.ta.Ctx, &types.QueryPendingRewardsRequest{Owner: alice.String()})
	if err != nil {
		t.Fatal(err)
	}
	wantAlice := sdk.NewCoins(uaic(2_500), sdk.NewInt64Coin("ufoo", 200))
	if !res.Rewards.Equal(wantAlice) {
		t.Fatalf("alice pending %s, want %s", res.Rewards, wantAlice)
	}
	aliceBefore := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, alice)
	paid, err := f.claim(alice)
	if err != nil {
		t.Fatal(err)
	}
	if !paid.Equal(wantAlice) {
		t.Fatalf("alice paid %s, want %s", paid, wantAlice)
	}
	if got := f.ta.BankKeeper.GetAllBalances(f.ta.Ctx, alice); !got.Equal(aliceBefore.Add(wantAlice...)) {
		t.Fatalf("alice balance %s, want %s", got, aliceBefore.Add(wantAlice...))
	}
	// Claiming again right away pays nothing.
	snap = f.snapshot(alice)
	_, err = f.claim(alice)
	expectErr(t, err, types.ErrNoRewards)
	f.assertUnchanged(snap, "second claim")

	paid, err = f.claim(bob)
	if err != nil || !paid.Equal(sdk.NewCoins(uaic(1_000), sdk.NewInt64Coin("ufoo", 100))) {
		t.Fatalf("bob paid %s, %v", paid, err)
	}
	f.checkInvariants()
	if pool := f.poolBalance(); !pool.IsZero() {
		t.Fatalf("pool should be empty after exact claims, holds %s", pool)
	}
}

func TestClaimDustIsRedistributed(t *testing.T) {
	f := setup(t, 4)
	a, b, c, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address, f.ta.Accounts[3].Address
	f.mustLock(a, 1_000_000, week)
	f.mustLock(b, 1_000_000, week)
	f.mustLock(c, 1_000_000, week)
	f.deposit(payer, sdk.NewCoins(uaic(10))) // 10/3 each: 3.33…
	f.ta.NextBlock()
	total := math.ZeroInt()
	for _, o := range []sdk.AccAddress{a, b, c} {
		paid, err := f.claim(o)
		if err != nil {
			t.Fatal(err)
		}
		if !paid.AmountOf("uaic").Equal(math.NewInt(3)) {
			t.Fatalf("paid %s, want 3uaic", paid)
		}
		total = total.Add(paid.AmountOf("uaic"))
		f.checkInvariants()
	}
	// The 1 uaic of dust is unaccounted again and distributed by the next block.
	if pool := f.poolBalance().AmountOf("uaic"); !pool.Equal(math.OneInt()) {
		t.Fatalf("pool keeps %s, want 1 uaic of dust", pool)
	}
	// Each claim's own fractional remainder was redistributed by the next
	// sync (the next claim's), so the owners now hold fractions that a later
	// deposit tops up; nothing is lost and nothing is paid twice.
	f.deposit(payer, sdk.NewCoins(uaic(2)))
	f.ta.NextBlock()
	for _, o := range []sdk.AccAddress{a, b, c} {
		paid, err := f.claim(o)
		if err != nil && !errors.Is(err, types.ErrNoRewards) {
			t.Fatal(err)
		}
		total = total.Add(paid.AmountOf("uaic"))
		f.checkInvariants()
	}
	pool := f.poolBalance().AmountOf("uaic")
	if !total.Add(pool).Equal(math.NewInt(12)) {
		t.Fatalf("paid %s + pool %s != 12 deposited", total, pool)
	}
	if pool.GT(math.NewInt(2)) || total.LT(math.NewInt(10)) {
		t.Fatalf("paid %s, pool keeps %s: more dust than one uaic per other owner", total, pool)
	}
}

func TestUpdateParams(t *testing.T) {
	f := setup(t, 1)
	authority := f.k.GetAuthority()
	p := types.DefaultParams()
	p.MinLockAmount = math.NewInt(5)

	_, err := f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: f.ta.Accounts[0].String(), Params: p})
	expectErr(t, err, types.ErrInvalidSigner)
	bad := p
	bad.LockTiers = []types.LockTier{{Duration: year, Multiplier: math.LegacyNewDec(2)}, {Duration: week, Multiplier: math.LegacyOneDec()}}
	_, err = f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: bad})
	expectErr(t, err, types.ErrInvalidParams)
	bad = p
	bad.LockTiers = nil
	_, err = f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: bad})
	expectErr(t, err, types.ErrInvalidParams)
	got, _ := f.k.GetParams(f.ta.Ctx)
	if !got.MinLockAmount.Equal(types.DefaultParams().MinLockAmount) {
		t.Fatal("params changed by a failed update")
	}

	if _, err := f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: p}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.k.GetParams(f.ta.Ctx)
	if !got.MinLockAmount.Equal(math.NewInt(5)) {
		t.Fatalf("min lock amount %s after update", got.MinLockAmount)
	}

	// The lock denom cannot change while locks exist.
	f.mustLock(f.ta.Accounts[0].Address, 1_000_000, week)
	bad = p
	bad.LockDenom = "ufoo"
	_, err = f.ms.UpdateParams(f.ta.Ctx, &types.MsgUpdateParams{Authority: authority, Params: bad})
	expectErr(t, err, types.ErrInvalidParams)
}

func TestParamsValidate(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatalf("default params invalid: %v", err)
	}
	mut := []func(p *types.Params){
		func(p *types.Params) { p.LockDenom = "" },
		func(p *types.Params) { p.MinLockAmount = math.ZeroInt() },
		func(p *types.Params) { p.MaxLocksPerOwner = 0 },
		func(p *types.Params) { p.MaxWithdrawalsPerBlock = 0 },
		func(p *types.Params) { p.LockTiers[0].Multiplier = math.LegacyZeroDec() },
		func(p *types.Params) { p.LockTiers[1].Multiplier = math.LegacyNewDecWithPrec(5, 1) },
		func(p *types.Params) { p.LockTiers[0].Duration = 0 },
		func(p *types.Params) { p.LockTiers[3].Multiplier = math.LegacyNewDec(11) },
	}
	for i, m := range mut {
		p := types.DefaultParams()
		m(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("mutation %d: want an error", i)
		}
	}
}

func TestQueries(t *testing.T) {
	f := setup(t, 2)
	alice := f.ta.Accounts[0].Address
	var ids []uint64
	for i := 0; i < 5; i++ {
		ids = append(ids, f.mustLock(alice, 1_000_000, week))
	}
	f.mustLock(f.ta.Accounts[1].Address, 1_000_000, week)

	if _, err := f.q.Lock(f.ta.Ctx, &types.QueryLockRequest{LockId: 77}); err == nil {
		t.Fatal("want NotFound for lock 77")
	}
	if _, err := f.q.Locks(f.ta.Ctx, nil); err == nil {
		t.Fatal("want an error for a nil request")
	}
	if _, err := f.q.Locks(f.ta.Ctx, &types.QueryLocksRequest{Owner: "bad"}); err == nil {
		t.Fatal("want an error for a bad owner")
	}
	var got []uint64
	var key []byte
	for page := 0; ; page++ {
		res, err := f.q.Locks(f.ta.Ctx, &types.QueryLocksRequest{Owner: alice.String(), Pagination: pageReq(key, 2)})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range res.Locks {
			got = append(got, l.Id)
		}
		key = res.Pagination.NextKey
		if key == nil {
			break
		}
		if page > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(got) != len(ids) {
		t.Fatalf("paginated locks %v, want %v", got, ids)
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("paginated locks %v, want %v", got, ids)
		}
	}
	tot, err := f.q.Totals(f.ta.Ctx, &types.QueryTotalsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if tot.Totals.LockCount != 6 || !tot.Totals.Weight.Equal(math.NewInt(6_000_000)) || !tot.BondedTokens.IsPositive() {
		t.Fatalf("totals %+v", tot)
	}
	vp, err := f.q.VotingPower(f.ta.Ctx, &types.QueryVotingPowerRequest{Address: alice.String()})
	if err != nil {
		t.Fatal(err)
	}
	if !vp.LockWeight.Equal(math.NewInt(5_000_000)) || !vp.Total.Equal(math.LegacyNewDec(5_000_000)) {
		t.Fatalf("voting power %+v", vp)
	}
	if p, err := f.q.Params(f.ta.Ctx, &types.QueryParamsRequest{}); err != nil || len(p.Params.LockTiers) != 4 {
		t.Fatalf("params %v %v", p, err)
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
