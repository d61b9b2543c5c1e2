package keeper_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/types"
)

// spelledTwiceGenesis is a genesis of three 10M locks, the pool holding the
// 20M they are owed: alice's lock 1 is settled to the index (owed 0), her
// lock 2 is owed 10M and is written with ownerOfLock2, bob's lock 3 is owed
// 10M.
func spelledTwiceGenesis(start time.Time, alice, ownerOfLock2, bob string) *types.GenesisState {
	index := sdk.NewDecCoins(sdk.NewDecCoinFromDec("uaic", math.LegacyOneDec()))
	lock := func(id uint64, owner string, paid sdk.DecCoins) types.Lock {
		return types.Lock{
			Id: id, Owner: owner, Amount: uaic(10_000_000), Duration: week,
			Multiplier: math.LegacyOneDec(), StartTime: start, Weight: math.NewInt(10_000_000),
			RewardIndexPaid: paid,
		}
	}
	gs := types.DefaultGenesis()
	gs.NextLockId = 4
	gs.RewardIndex = index
	gs.Locks = []types.Lock{lock(1, alice, index), lock(2, ownerOfLock2, sdk.DecCoins{}), lock(3, bob, sdk.DecCoins{})}
	return gs
}

// TestAttackGenesisOwnerSpelledTwice: bech32 also accepts an address written
// all in upper case. The keeper keys an owner's weight and paid index by
// address bytes, while the import told an owner's locks apart by the string:
// a genesis writing alice's second lock in upper case gave her whole weight
// the second lock's paid index, so alice could claim 20M and bob's claim of
// his 10M failed. The import is refused; the same genesis written
// canonically pays each their 10M, to the coin.
func TestAttackGenesisOwnerSpelledTwice(t *testing.T) {
	for _, upper := range []bool{true, false} {
		g := setup(t, 3)
		alice, bob, funder := g.ta.Accounts[0].Address, g.ta.Accounts[1].Address, g.ta.Accounts[2].Address
		if err := g.ta.BankKeeper.SendCoinsFromAccountToModule(g.ta.Ctx, funder, types.ModuleName, sdk.NewCoins(uaic(30_000_000))); err != nil {
			t.Fatal(err)
		}
		g.deposit(funder, sdk.NewCoins(uaic(20_000_000)))
		second := alice.String()
		if upper {
			second = strings.ToUpper(second)
		}
		err := g.k.InitGenesis(g.ta.Ctx, spelledTwiceGenesis(g.ta.Ctx.BlockTime(), alice.String(), second, bob.String()))
		if upper {
			if !errors.Is(err, types.ErrInvalidGenesis) {
				t.Fatalf("an owner spelled two ways: import error %v, want ErrInvalidGenesis", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("canonical genesis: %v", err)
		}
		g.mustClaim(alice, uaic(10_000_000))
		g.mustClaim(bob, uaic(10_000_000))
		g.checkInvariants()
	}
}

// TestAttackGenesisPendingSpelledTwice: two pending entries of alice's, 5M
// each, one in upper case, passed the duplicate check made on strings; the
// import added both to what lockers are owed but kept one in her pending
// balance, so 5M stayed owed to no one for ever. The import is refused; one
// canonical entry of 10M pays her 10M and leaves nothing owed.
func TestAttackGenesisPendingSpelledTwice(t *testing.T) {
	g := setup(t, 2)
	alice, funder := g.ta.Accounts[0].Address, g.ta.Accounts[1].Address
	g.deposit(funder, sdk.NewCoins(uaic(10_000_000)))
	five := sdk.NewDecCoins(sdk.NewDecCoin("uaic", math.NewInt(5_000_000)))
	gs := types.DefaultGenesis()
	gs.Pending = []types.PendingReward{
		{Owner: alice.String(), Rewards: five},
		{Owner: strings.ToUpper(alice.String()), Rewards: five},
	}
	if err := g.k.InitGenesis(g.ta.Ctx, gs); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("pending spelled two ways: import error %v, want ErrInvalidGenesis", err)
	}
	gs.Pending = []types.PendingReward{{Owner: alice.String(), Rewards: five.Add(five...)}}
	if err := g.k.InitGenesis(g.ta.Ctx, gs); err != nil {
		t.Fatal(err)
	}
	g.mustClaim(alice, uaic(10_000_000))
	if acc, err := g.k.GetAccounted(g.ta.Ctx); err != nil || !acc.IsZero() {
		t.Fatalf("owed after the only owner claimed: %s (%v)", acc, err)
	}
	g.checkInvariants()
}

// TestAttackDelistingStrandsSameBlockFees: alice holds all the weight of
// rewarded ufoo. A 1,000 ufoo fee reaches the pool in the block whose
// governance proposal delists ufoo; x/gov's EndBlocker runs before this
// module's, so the end-blocker's distribution, over the new list, skipped
// it: the fee paid while ufoo was rewarded was never claimable. The params
// update now distributes the current denoms first: alice claims the 1,000.
func TestAttackDelistingStrandsSameBlockFees(t *testing.T) {
	f := setup(t, 1)
	alice := f.ta.Accounts[0].Address
	f.listRewardDenoms("ufoo")
	f.mustLock(alice, 10_000_000, week)
	f.ta.NextBlock()

	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin("ufoo", 1_000))) // a fee in block H
	f.listRewardDenoms()                                        // the delisting executes in block H
	f.ta.NextBlockAfter(time.Second)

	f.mustClaim(alice, sdk.NewInt64Coin("ufoo", 1_000))
	f.mustPoolHold()
	f.checkInvariants()
}
