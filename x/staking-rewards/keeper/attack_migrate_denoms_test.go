package keeper_test

import (
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackJunkDenomsPushFeeDenomOutOfRewardDenoms: before the upgrade
// (version 2 distributed every denom the reward pool held, and the pool is
// open to gifts) an attacker sends the pool one unit each of 16 IBC denoms
// whose hashes sort before the chain's real fee denom (jobs priced in an
// allowed IBC denom pay their protocol fee into the pool in it). Migrate2to3
// lists the first 16 index denoms in denom order: the junk, not the fee
// denom. From the upgrade on, the fees lockers were earning stay in the pool
// undistributed (and when governance lists the denom again, that backlog
// goes to the community pool). The honest outcome: the fee denom lockers
// were paid in before the upgrade keeps reaching them, to the coin.
func TestAttackJunkDenomsPushFeeDenomOutOfRewardDenoms(t *testing.T) {
	f := setup(t, 2)
	alice := f.ta.Accounts[0].Address
	f.mustLock(alice, 10_000_000, week) // the only weight
	const feeDenom = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	junk := apptesting.JunkDenoms(types.MaxRewardDenoms, 1) // ibc/000…0 … ibc/000…F: 16 units in all

	// Version 2's state: every pool denom is distributed.
	restore := f.asVersion2(append(denomsOf(junk), feeDenom)...)
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin(feeDenom, 7_000))) // protocol fees before the attack
	f.mintToPool(junk)                                            // the attacker's gifts
	f.ta.NextBlock()
	restore()
	if idx, _ := f.k.GetRewardIndex(f.ta.Ctx); idx.AmountOf(feeDenom).IsZero() {
		t.Fatalf("set-up: the fee denom is not in the reward index %s", idx)
	}

	// Jobs pay fees in the IBC denom: governance allowed it in x/compute.
	cp, err := f.ta.ComputeKeeper.Params.Get(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp.AllowedDenoms = append(cp.AllowedDenoms, feeDenom)
	if err := f.ta.ComputeKeeper.Params.Set(f.ta.Ctx, cp); err != nil {
		t.Fatal(err)
	}
	// The migration as the app registers it (app.RewardFeeDenoms).
	if err := keeper.NewMigrator(f.k).WithFeeDenoms(f.ta.RewardFeeDenoms).Migrate2to3(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.k.GetParams(f.ta.Ctx); len(got.RewardDenoms) != 1 || got.RewardDenoms[0] != feeDenom {
		t.Fatalf("reward_denoms after the migration: %v, want the fee denom alone", got.RewardDenoms)
	}

	// Before the upgrade alice earned 7,000 of the fee denom; she claims it.
	if _, err := f.claim(alice); err != nil {
		t.Fatal(err)
	}
	// After the upgrade jobs keep paying 3,000 of the fee denom.
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin(feeDenom, 3_000)))
	f.ta.NextBlock()
	paid, err := f.claim(alice)
	if err != nil && !errors.Is(err, types.ErrNoRewards) {
		t.Fatal(err)
	}
	if got := paid.AmountOf(feeDenom).Int64(); got != 3_000 {
		t.Fatalf("alice, the only locker, was paid %d of the 3,000 %s fees that arrived after the upgrade (the junk denoms took its reward_denoms slot; pool now %s)",
			got, feeDenom, f.poolBalance())
	}
}
