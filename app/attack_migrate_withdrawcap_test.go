package app_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"
	upgradetypes "cosmossdk.io/x/upgrade/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/app/apptesting"
	computetypes "github.com/aichain/aichain/x/compute/types"
	dmtypes "github.com/aichain/aichain/x/datamarket/types"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
	srkeeper "github.com/aichain/aichain/x/staking-rewards/keeper"
	srtypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// TestAttackPreUpgradeWithdrawalCapHaltsTheUpgrade: x/staking-rewards'
// version 1 took any positive max_withdrawals_per_block (its Validate
// checked only > 0), and governance set 50,000. The v3-verification
// handler, run from the versions its plan names (x/compute 4,
// x/modelregistry 1, x/datamarket 2, x/staking-rewards 1), validates the
// params under this binary's rules, which bound the field to 10,000
// (MaxWithdrawalsPerBlockLimit): the handler failed, and a failed upgrade
// handler panics the PreBlocker at the upgrade height on every validator,
// the chain halted until a new binary. The migration must bring the field
// into the bound (the most withdrawals the rule allows a block) and the
// chain go on: a lock that matured is paid back by the EndBlocker.
func TestAttackPreUpgradeWithdrawalCapHaltsTheUpgrade(t *testing.T) {
	ta := apptesting.Setup(t, 1)
	k := ta.StakingRewardsKeeper
	owner := ta.Accounts[0].Address
	const amount = 1_000_000
	srv := srkeeper.NewMsgServerImpl(k)
	res, err := srv.Lock(ta.Ctx, &srtypes.MsgLock{
		Owner: owner.String(), Amount: sdk.NewInt64Coin(app.BondDenom, amount), Duration: 7 * 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.BeginUnlock(ta.Ctx, &srtypes.MsgBeginUnlock{Owner: owner.String(), LockId: res.LockId}); err != nil {
		t.Fatal(err)
	}

	// Version 1's params: no reward_denoms, no min_vote_lock_duration, and
	// the withdrawal cap governance chose, valid under version 1's rule.
	v1, err := k.GetParams(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	v1.MaxWithdrawalsPerBlock, v1.RewardDenoms, v1.MinVoteLockDuration = 50_000, nil, 0
	if err := k.Params.Set(ta.Ctx, v1); err != nil {
		t.Fatal(err)
	}

	fromVM := ta.ModuleManager.GetVersionMap()
	fromVM[computetypes.ModuleName], fromVM[mrtypes.ModuleName] = 4, 1
	fromVM[dmtypes.ModuleName], fromVM[srtypes.ModuleName] = 2, 1
	if err := upgradeFrom(ta, fromVM); err != nil {
		t.Fatalf("the v3-verification handler failed on a version-1 max_withdrawals_per_block of 50000: %v", err)
	}
	got, err := k.GetParams(ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxWithdrawalsPerBlock != srtypes.MaxWithdrawalsPerBlockLimit {
		t.Fatalf("max_withdrawals_per_block after the upgrade %d, want %d", got.MaxWithdrawalsPerBlock, srtypes.MaxWithdrawalsPerBlockLimit)
	}

	before := ta.Balance(owner, app.BondDenom)
	ta.NextBlockAfter(8 * 24 * time.Hour)
	ta.NextBlock()
	if paid := ta.Balance(owner, app.BondDenom).Sub(before); !paid.Equal(math.NewInt(amount)) {
		t.Fatalf("the matured lock paid back %s after the upgrade, want %d", paid, amount)
	}
}

// upgradeFrom runs the v3-verification handler on ta from the module
// versions fromVM and returns its error.
func upgradeFrom(ta *apptesting.TestApp, fromVM module.VersionMap) error {
	for _, u := range app.Upgrades {
		if u.Name == app.UpgradeVerification {
			_, err := u.CreateHandler(ta.App)(ta.Ctx, upgradetypes.Plan{Name: u.Name, Height: ta.Ctx.BlockHeight()}, fromVM)
			return err
		}
	}
	return nil
}
