package keeper_test

import (
	"errors"
	"strings"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestGenesisRoundTrip exports a state with locked and unlocking locks, a
// settled pending balance and a multi-denom index, imports it into a fresh
// app holding the same module balances, and checks that the derived state
// (totals, owner weights, queue, accounted rewards) and a second export match.
func TestGenesisRoundTrip(t *testing.T) {
	f := setup(t, 3)
	f.listRewardDenoms("ufoo")
	alice, bob, payer := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address, f.ta.Accounts[2].Address
	id1 := f.mustLock(alice, 3_000_000, year)
	f.mustLock(bob, 7_000_000, week)
	id3 := f.mustLock(bob, 2_000_000, week)
	f.deposit(payer, sdk.NewCoins(uaic(1_234_567)))
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", 999)))
	f.ta.NextBlock()
	if _, err := f.k.BeginUnlock(f.ta.Ctx, bob, id3); err != nil {
		t.Fatal(err)
	}
	if err := f.k.ExtendLock(f.ta.Ctx, alice, id1, year); err == nil {
		t.Fatal("extend to the same tier should fail")
	}
	f.deposit(payer, sdk.NewCoins(uaic(1_000)))
	f.ta.NextBlock()
	f.checkInvariants()

	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("exported genesis invalid: %v", err)
	}
	if len(gs.Locks) != 3 || len(gs.Pending) != 1 || gs.NextLockId != 4 || gs.RewardIndex.IsZero() {
		t.Fatalf("unexpected export %+v", gs)
	}

	g := setup(t, 1)
	// The bank state that goes with the genesis: the locked coins and the pool.
	if err := g.ta.BankKeeper.SendCoinsFromAccountToModule(g.ta.Ctx, g.ta.Accounts[0].Address, types.ModuleName, f.moduleBalance()); err != nil {
		t.Fatal(err)
	}
	pool := f.poolBalance()
	g.deposit(g.ta.Accounts[0].Address, sdk.NewCoins(sdk.NewCoin("uaic", pool.AmountOf("uaic"))))
	g.mintToPool(sdk.NewCoins(sdk.NewCoin("ufoo", pool.AmountOf("ufoo"))))
	if err := g.k.InitGenesis(g.ta.Ctx, gs); err != nil {
		t.Fatalf("import: %v", err)
	}
	g.checkInvariants()

	ft, _ := f.k.GetTotals(f.ta.Ctx)
	gt, _ := g.k.GetTotals(g.ta.Ctx)
	if !ft.Weight.Equal(gt.Weight) || !ft.Locked.Equal(gt.Locked) || !ft.Unlocking.Equal(gt.Unlocking) || ft.LockCount != gt.LockCount {
		t.Fatalf("totals differ: %v vs %v", ft, gt)
	}
	fa, _ := f.k.GetAccounted(f.ta.Ctx)
	ga, _ := g.k.GetAccounted(g.ta.Ctx)
	if !fa.Equal(ga) {
		t.Fatalf("accounted differs: %s vs %s", fa, ga)
	}
	if has, _ := g.k.UnlockQueue.Has(g.ta.Ctx, collectionsJoin(gs.Locks[2].UnlockTime(), id3)); !has {
		t.Fatal("unlocking lock not queued after import")
	}
	for _, o := range []sdk.AccAddress{alice, bob} {
		fp, _ := f.k.PendingRewards(f.ta.Ctx, o)
		gp, _ := g.k.PendingRewards(g.ta.Ctx, o)
		if !fp.Equal(gp) {
			t.Fatalf("pending rewards of %s differ: %s vs %s", o, fp, gp)
		}
	}
	again, err := g.k.ExportGenesis(g.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	cdc := f.ta.AppCodec()
	if a, b := cdc.MustMarshalJSON(gs), cdc.MustMarshalJSON(again); string(a) != string(b) {
		t.Fatalf("export → import → export differs:\n%s\n%s", a, b)
	}

	// A genesis whose locks the module account cannot cover is refused.
	h := setup(t, 1)
	if err := h.k.InitGenesis(h.ta.Ctx, gs); err == nil {
		t.Fatal("import without the locked coins should fail")
	}
}

func TestGenesisValidate(t *testing.T) {
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := types.DefaultGenesis()
	bad.NextLockId = 0
	if err := bad.Validate(); err == nil {
		t.Fatal("next_lock_id 0 accepted")
	}
	bad = types.DefaultGenesis()
	bad.Locks = []types.Lock{{Id: 5, Owner: "x"}}
	if err := bad.Validate(); err == nil {
		t.Fatal("lock id beyond next_lock_id accepted")
	}
	// A lock the keeper could have written passes; each change below could
	// not have been written and is refused.
	owner := sdk.AccAddress(make([]byte, 20)).String()
	good := func() *types.GenesisState {
		gs := types.DefaultGenesis()
		gs.NextLockId = 2
		gs.Locks = []types.Lock{{
			Id: 1, Owner: owner, Amount: uaic(1_000_000), Duration: week,
			Multiplier: math.LegacyOneDec(), Weight: math.NewInt(1_000_000),
		}}
		return gs
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("a valid lock refused: %v", err)
	}
	for name, change := range map[string]func(l *types.Lock){
		"another denom":        func(l *types.Lock) { l.Amount = sdk.NewInt64Coin("ufoo", 1_000_000) },
		"multiplier above max": func(l *types.Lock) { l.Multiplier = math.LegacyNewDec(11); l.Weight = math.NewInt(11_000_000) },
		"negative paid index":  func(l *types.Lock) { l.RewardIndexPaid = sdk.DecCoins{{Denom: "uaic", Amount: math.LegacyNewDec(-1)}} },
		"owner in upper case":  func(l *types.Lock) { l.Owner = strings.ToUpper(l.Owner) },
	} {
		gs := good()
		change(&gs.Locks[0])
		if err := gs.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("%s: %v, want ErrInvalidGenesis", name, err)
		}
	}
}
