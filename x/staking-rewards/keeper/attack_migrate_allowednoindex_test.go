package keeper_test

import (
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/staking-rewards/keeper"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackAllowedJobDenomWithoutPastFeesIsNeverDistributed: governance
// allowed jobs to pay in an IBC denom (x/compute allowed_denoms) shortly
// before the v3-verification upgrade, and no job had paid in it yet, so it
// is not in the reward index. Migrate2to3 lists a candidate only if the
// index already holds it (index.AmountOf(d).IsPositive()), so the
// governance-chosen job-fee denom is left out of reward_denoms. Version 2
// would have distributed every fee paid in it; from the upgrade on they wait
// in the pool, and when governance notices and lists the denom, UpdateParams
// sends that backlog to the community pool. Honest outcome: alice, the only
// locker, is paid the 3,000 of job fees paid in the allowed denom after the
// upgrade, at the latest once governance lists it.
func TestAttackAllowedJobDenomWithoutPastFeesIsNeverDistributed(t *testing.T) {
	f := setup(t, 2)
	alice := f.ta.Accounts[0].Address
	f.mustLock(alice, 10_000_000, week) // the only weight
	const feeDenom = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"

	restore := f.asVersion2() // version 2: every pool denom distributed (none but uaic yet)
	f.ta.NextBlock()
	restore()
	cp, err := f.ta.ComputeKeeper.Params.Get(f.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp.AllowedDenoms = append(cp.AllowedDenoms, feeDenom) // governance allows the denom for jobs
	if err := f.ta.ComputeKeeper.Params.Set(f.ta.Ctx, cp); err != nil {
		t.Fatal(err)
	}
	if err := keeper.NewMigrator(f.k).WithFeeDenoms(f.ta.RewardFeeDenoms).Migrate2to3(f.ta.Ctx); err != nil {
		t.Fatal(err)
	}
	p, _ := f.k.GetParams(f.ta.Ctx)
	t.Logf("reward_denoms after the migration: %v", p.RewardDenoms)

	// After the upgrade jobs pay 3,000 of protocol fees in the allowed denom.
	f.mintToPool(sdk.NewCoins(sdk.NewInt64Coin(feeDenom, 3_000)))
	f.ta.NextBlock()
	paid, err := f.claim(alice)
	if err != nil && !errors.Is(err, types.ErrNoRewards) {
		t.Fatal(err)
	}
	got := paid.AmountOf(feeDenom)
	if !got.IsPositive() {
		// The remedy the migration leaves: governance lists the denom.
		f.listRewardDenoms(append(p.RewardDenoms, feeDenom)...)
		f.ta.NextBlock()
		more, err := f.claim(alice)
		if err != nil && !errors.Is(err, types.ErrNoRewards) {
			t.Fatal(err)
		}
		got = got.Add(more.AmountOf(feeDenom))
	}
	if got.Int64() != 3_000 {
		t.Fatalf("alice, the only locker, was paid %s of the 3,000 %s job fees paid after the upgrade, even once governance listed the denom (pool %s; the rest went to the community pool)",
			got, feeDenom, f.poolBalance())
	}
}
