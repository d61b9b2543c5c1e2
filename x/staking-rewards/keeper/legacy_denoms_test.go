package keeper_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestGenesisKeepsLegacyDenoms: the denoms the 2→3 migration left unlisted
// are exported sorted and imported again, so that a chain restarted from an
// export still gives their backlog to the lockers when governance lists
// one; listing one takes it out of the set. A genesis with a legacy denom
// that is invalid, repeated, out of order or rewarded is refused.
func TestGenesisKeepsLegacyDenoms(t *testing.T) {
	f := setup(t, 1)
	f.mustLock(f.ta.Accounts[0].Address, 1_000_000, week)
	junk := apptesting.JunkDenoms(3, 10)
	restore := f.asVersion2(denomsOf(junk)...)
	f.mintToPool(junk)
	f.ta.NextBlock()
	restore()
	if err := keeper.NewMigrator(f.k).WithFeeDenoms(f.ta.RewardFeeDenoms).Migrate2to3(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	gs, err := f.k.ExportGenesis(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gs.LegacyRewardDenoms, denomsOf(junk)) {
		t.Fatalf("exported legacy denoms %v, want %v", gs.LegacyRewardDenoms, denomsOf(junk))
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the export is invalid: %v", err)
	}

	g := setup(t, 1)
	if err := g.k.InitGenesis(g.ta.Ctx, &types.GenesisState{Params: gs.Params, NextLockId: 1, LegacyRewardDenoms: gs.LegacyRewardDenoms}); err != nil {
		t.Fatal(err)
	}
	g.listRewardDenoms(junk[1].Denom)
	again, err := g.k.ExportGenesis(g.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{junk[0].Denom, junk[2].Denom}; !slices.Equal(again.LegacyRewardDenoms, want) {
		t.Fatalf("legacy denoms after governance listed %s: %v, want %v", junk[1].Denom, again.LegacyRewardDenoms, want)
	}

	for name, legacy := range map[string][]string{
		"invalid":      {"!"},
		"repeated":     {junk[0].Denom, junk[0].Denom},
		"out of order": {junk[1].Denom, junk[0].Denom},
		"rewarded":     {gs.Params.LockDenom},
	} {
		bad := types.DefaultGenesis()
		bad.LegacyRewardDenoms = legacy
		if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Errorf("%s legacy denoms %v: %v, want ErrInvalidGenesis", name, legacy, err)
		}
	}
}
