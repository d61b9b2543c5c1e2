package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/keeper"
)

// TestAttackJunkDenomBeforeUpgradeBreaksGenesisExport: hostile is anyone
// with one unit of an IBC denom. Before the v3-verification upgrade (version
// 2 distributed every denom in the reward pool) it sends the pool 1 unit of
// a denom jobs do not pay fees in. An honest locker, bob, begins unlocking
// one of his locks: an unlocking lock keeps the reward index it was settled
// at (BeginUnlock stores the whole index, the junk denom included).
// Migrate2to3, as the app registers it, drops the junk denom from the reward
// index and from every owner's paid index (dropUnlisted), but not from the
// unlocking locks' own paid indexes. From then on, until bob withdraws (up
// to the longest lock duration), every genesis export is invalid: the
// lock's paid index is "above the global index", so the chain cannot be
// exported and re-imported (zero-height restart, halt recovery), and
// InitGenesis refuses it. The honest outcome: the export after the
// migration validates and imports.
func TestAttackJunkDenomBeforeUpgradeBreaksGenesisExport(t *testing.T) {
	f := setup(t, 2)
	alice, bob := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	f.mustLock(alice, 10_000_000, week)
	id := f.mustLock(bob, 2_000_000, week)
	const junkDenom = "ibc/0000000000000000000000000000000000000000000000000000000000000001"

	// Version 2's state: every pool denom is distributed.
	restore := f.asVersion2(junkDenom)
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin(junkDenom, 1))) // the attacker's gift
	f.ta.NextBlock()
	if _, err := f.beginUnlock(bob, id); err != nil { // settled at the index, junk included
		t.Fatal(err)
	}
	restore()

	if err := keeper.NewMigrator(f.k).WithFeeDenoms(f.ta.RewardFeeDenoms).Migrate2to3(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	f.ta.NextBlock()

	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the export after the migration is invalid (bob's lock %d still unlocking): %v", id, err)
	}
}
