package keeper_test

import (
	"errors"
	"math/big"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// TestAttackGenesisRevenueOverflowPanicsSettlement: a doctored export set a
// model's usage.revenue to 2^256 − 1 uaic; the import checked only that the
// coins were valid, and every later fee paid to the model panicked in the
// revenue's addition (math.Int is 256 bits): x/compute retried the job's
// settlement at every block and the model's shares were never paid. Now a
// revenue above 2^224 is refused at import, and a revenue at the bound
// stays there while a job on the model pays its shares to the coin.
func TestAttackGenesisRevenueOverflowPanicsSettlement(t *testing.T) {
	f := setup(t)
	id := f.register(t, registerMsg(f.addr(0), "llama", "1"))
	withRevenue := func(bits uint) *types.GenesisState {
		gs, err := f.k.ExportGenesis(f.ta.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		amount := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits), big.NewInt(1))
		for i := range gs.Models {
			if gs.Models[i].Id == id {
				gs.Models[i].Usage.Revenue = sdk.NewCoins(sdk.NewCoin(denom, sdkmath.NewIntFromBigInt(amount)))
			}
		}
		return gs
	}
	if err := f.k.InitGenesis(f.ta.Ctx, withRevenue(256)); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("revenue of 2^256-1 imported: %v, want ErrInvalidGenesis", err)
	}
	atBound := withRevenue(common.MaxAmountBits)
	if err := f.k.InitGenesis(f.ta.Ctx, atBound); err != nil {
		t.Fatalf("revenue of 2^224-1: %v", err)
	}
	terms, err := f.k.ModelTermsForJob(f.ta.Ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ta.BankKeeper.MintCoins(f.ta.Ctx, minttypes.ModuleName, terms.Fee); err != nil {
		t.Fatal(err)
	}
	pool := authtypes.NewModuleAddress(common.RewardPoolName)
	m := f.moves(denom, f.ta.Accounts[0].Address, pool)
	if err := noPanic(func() error {
		return f.k.PayModelFee(f.ta.Ctx, id, minttypes.ModuleName, terms.Fee, terms.Shares, 0)
	}); err != nil {
		t.Fatalf("a fee to a model whose revenue is at the bound: %v", err)
	}
	m.expect(t, "a job on the imported model", ints(950, 50)...)
	if got := f.model(t, id).Usage.Revenue; !got.Equal(atBound.Models[0].Usage.Revenue) {
		t.Fatalf("revenue %s, want it to stay at the bound", got)
	}
}
