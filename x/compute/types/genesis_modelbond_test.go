package types_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestModelBondLocks: the locks a genesis' model bonds must hold are the
// bonds of its live jobs, by bonder; a job keeps its model's uri whether or
// not it locked a bond (every job over a model does since 2026-12-07:
// TestAttackBuyerRepointsModelToVoidSellersOwnJob), and a bond needs a
// canonical bonder.
func TestModelBondLocks(t *testing.T) {
	const uri = "https://models.example/tiny.safetensors"
	bonder := sdk.AccAddress(make([]byte, 20)).String()
	bond := sdk.NewCoins(sdk.NewInt64Coin("uaic", 700))
	live := types.Job{Id: 1, ModelUri: uri, ModelBond: bond, ModelBonder: bonder, State: types.JobState_JOB_STATE_ASSIGNED}
	closed := types.Job{Id: 2, ModelUri: uri, ModelBond: bond, ModelBonder: bonder, State: types.JobState_JOB_STATE_SETTLED}
	locks, err := types.ModelBondLocks([]types.Job{live, closed, {Id: 3, ModelUri: uri}, {Id: 4}})
	if err != nil {
		t.Fatalf("jobs with and without a bond, keeping a model uri or not: %v", err)
	}
	if len(locks) != 1 || !locks[bonder].Equal(bond) {
		t.Fatalf("locks %v, want %s of %s (the live job's alone)", locks, bond, bonder)
	}
	noBonder := live
	noBonder.ModelBonder = ""
	if _, err := types.ModelBondLocks([]types.Job{noBonder}); err == nil {
		t.Fatal("a bond without its bonder was taken")
	}
}
