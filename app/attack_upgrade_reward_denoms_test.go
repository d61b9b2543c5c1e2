package app_test

import (
	"slices"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	srkeeper "github.com/aichain/aichain/x/staking-rewards/keeper"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackJunkDenomsBeforeTheUpgradeTakeTheRewardSlots runs the
// v3-verification upgrade's handler, as the app registers it, on a chain
// whose x/staking-rewards is at version 2 (which distributed every denom the
// open reward pool held). Before the upgrade an attacker sent the pool one
// unit each of 16 IBC denoms sorting before the chain's IBC job-fee denom.
// The upgrade must list the fee denom and none of the junk (the module is
// given RewardFeeDenoms), and leave no junk in the reward index. A licence
// denom stays listed only when the plan's info names it (reward_fee_denoms;
// an invalid denom there is skipped, and an info that is a URL names none).
func TestAttackJunkDenomsBeforeTheUpgradeTakeTheRewardSlots(t *testing.T) {
	const licenceDenom = "ibc/498A0751C798A0D9A389AA3691123DADA57DAA4FE165D5C75894505B876BA6E4"
	for _, c := range []struct{ info, want string }{
		{"", ""},
		{"https://example.org/v3-verification.json", ""}, // cosmovisor's URL form: names none
		{`{"binaries":{"linux/amd64":"https://example.org/aichaind"},"reward_fee_denoms":["` + licenceDenom + `","!bad"]}`, licenceDenom},
	} {
		t.Run(c.info, func(t *testing.T) { upgradeWithJunk(t, c.info, licenceDenom, c.want) })
	}
}

// upgradeWithJunk runs the upgrade with plan info info on a version-2 pool
// that got 16 junk denoms, the job-fee denom and licenceDenom, and checks
// that reward_denoms is the job-fee denom and want (if any), and that no
// junk is left in the reward index.
func upgradeWithJunk(t *testing.T, info, licenceDenom, want string) {
	ta := apptesting.Setup(t, 1)
	k := ta.StakingRewardsKeeper
	const feeDenom = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
	if _, err := srkeeper.NewMsgServerImpl(k).Lock(ta.Ctx, &srtypes.MsgLock{
		Owner: ta.Accounts[0].Address.String(), Amount: sdk.NewInt64Coin(app.BondDenom, 1_000_000), Duration: 7 * 24 * time.Hour,
	}); err != nil {
		t.Fatal(err)
	}
	v2, err := k.GetParams(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	junk := apptesting.JunkDenoms(srtypes.MaxRewardDenoms, 1)
	gifts := junk.Add(sdk.NewInt64Coin(feeDenom, 7_000), sdk.NewInt64Coin(licenceDenom, 500))
	asV2 := v2
	for _, c := range gifts {
		asV2.RewardDenoms = append(asV2.RewardDenoms, c.Denom)
	}
	if err := k.Params.Set(ta.Ctx, asV2); err != nil { // version 2 distributed them all
		t.Fatal(err)
	}
	if err := ta.BankKeeper.MintCoins(ta.Ctx, minttypes.ModuleName, gifts); err != nil {
		t.Fatal(err)
	}
	if err := ta.BankKeeper.SendCoinsFromModuleToModule(ta.Ctx, minttypes.ModuleName, common.RewardPoolName, gifts); err != nil {
		t.Fatal(err)
	}
	ta.NextBlock()
	if err := k.Params.Set(ta.Ctx, v2); err != nil {
		t.Fatal(err)
	}
	cp, err := ta.ComputeKeeper.Params.Get(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp.AllowedDenoms = append(cp.AllowedDenoms, feeDenom)
	if err := ta.ComputeKeeper.Params.Set(ta.Ctx, cp); err != nil {
		t.Fatal(err)
	}

	fromVM := ta.ModuleManager.GetVersionMap()
	fromVM[srtypes.ModuleName] = 2
	runVerificationPlan(t, ta, info, fromVM)
	got, err := k.GetParams(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantDenoms := []string{feeDenom}
	if want != "" {
		wantDenoms = append(wantDenoms, want)
	}
	if !slices.Equal(got.RewardDenoms, wantDenoms) {
		t.Fatalf("reward_denoms after the upgrade %v, want %v", got.RewardDenoms, wantDenoms)
	}
	index, err := k.GetRewardIndex(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range junk {
		if index.AmountOf(c.Denom).IsPositive() {
			t.Fatalf("junk denom %s still in the reward index %s", c.Denom, index)
		}
	}
}
