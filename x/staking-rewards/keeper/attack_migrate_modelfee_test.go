package keeper_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/types/common"
	mrkeeper "github.com/aichain/aichain/x/modelregistry/keeper"
	mrtypes "github.com/aichain/aichain/x/modelregistry/types"
)

// payModelFee pays model id's fee from x/compute's escrow as a settled job
// does (PayModelFee) and returns the platform fee the reward pool got.
func (f *fixture) payModelFee(id uint64, fee sdk.Coins, shares []common.Share) math.Int {
	f.t.Helper()
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, fee); err != nil {
		f.t.Fatal(err)
	}
	if err := f.ta.BankKeeper.SendCoinsFromModuleToModule(f.ta.Ctx, minttypes.ModuleName, "compute", fee); err != nil {
		f.t.Fatal(err)
	}
	denom := fee[0].Denom
	before := f.ta.BankKeeper.GetBalance(f.ta.Ctx, f.k.RewardPoolAddress(), denom).Amount
	if err := f.ta.ModelRegistryKeeper.PayModelFee(f.ta.Ctx, id, "compute", fee, shares, 150); err != nil {
		f.t.Fatal(err)
	}
	got := f.ta.BankKeeper.GetBalance(f.ta.Ctx, f.k.RewardPoolAddress(), denom).Amount.Sub(before)
	if !got.IsPositive() {
		f.t.Fatal("set-up: the model fee paid the reward pool no platform fee")
	}
	return got
}

// TestAttackModelFeeDenomIsDropped: the reward pool also receives
// x/modelregistry's platform fee (5% of every model fee), in the model
// fee's own denom, which x/compute does not restrict (only max_price must be
// in allowed_denoms). An honest model creator prices its model in an IBC
// denom; version 2 distributed the platform fees of the jobs that used it.
// App.RewardFeeDenoms reads x/compute's and x/datamarket's denoms only,
// never a model's, so Migrate2to3 drops the denom: from the upgrade on the
// platform fees of every job using the model wait in the pool. Honest
// outcome: alice, the only locker, keeps being paid those platform fees.
func TestAttackModelFeeDenomIsDropped(t *testing.T) {
	f := setup(t, 2)
	alice, creator := f.ta.Accounts[0].Address, f.ta.Accounts[1].Address
	f.mustLock(alice, 10_000_000, week) // the only weight
	const feeDenom = "ibc/498A0751C798A0D9A389AA3691123DADA57DAA4FE165D5C75894505B876BA6E4"
	modelFee := sdk.NewCoins(sdk.NewInt64Coin(feeDenom, 40_000))
	shares := []common.Share{{Address: creator.String(), Weight: 1}}
	h := sha256.Sum256([]byte("iris-mlp"))
	res, err := mrkeeper.NewMsgServerImpl(f.ta.ModelRegistryKeeper).RegisterModel(f.ta.Ctx, &mrtypes.MsgRegisterModel{
		Owner: creator.String(), Name: "iris-mlp", Version: "1.0.0", Architecture: mrtypes.ArchitectureMLPF32,
		Sha256: hex.EncodeToString(h[:]), Uri: "https://models.example/iris-mlp/1.0.0.safetensors",
		InputDim: 4, OutputDim: 3, License: "Apache-2.0",
		FeePerJob: modelFee, Shares: shares,
	})
	if err != nil {
		t.Fatal(err)
	}

	restore := f.asVersion2(feeDenom)
	before := f.payModelFee(res.ModelId, modelFee, shares) // a job before the upgrade
	f.ta.NextBlock()
	restore()
	f.migrateNamed(alice, feeDenom, before)
	after := f.payModelFee(res.ModelId, modelFee, shares) // a job after the upgrade
	f.ta.NextBlock()
	if got := f.paidOf(alice, feeDenom); !got.Equal(after) {
		p, _ := f.k.GetParams(f.ta.Ctx)
		t.Fatalf("alice, the only locker, was paid %s of the %s %s platform fees of a job after the upgrade (reward_denoms %v; pool %s)",
			got, after, feeDenom, p.RewardDenoms, f.poolBalance())
	}
}
