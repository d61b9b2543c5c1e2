package keeper_test

import (
	"testing"

	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/modelregistry/keeper"
)

// BenchmarkPayModelFee measures a settlement's model payment over the largest
// share list (common.MaxShares), the hot path x/compute runs per settled job.
func BenchmarkPayModelFee(b *testing.B) {
	ta := apptesting.Setup(b, 1)
	k := ta.ModelRegistryKeeper
	owner := ta.Accounts[0].String()
	shares := make([]common.Share, common.MaxShares)
	for i := range shares {
		shares[i] = common.Share{Address: newAddr(), Weight: uint32(i + 1)}
	}
	res, err := keeper.NewMsgServerImpl(k).RegisterModel(ta.Ctx, registerMsg(owner, "bench", "1", shares...))
	if err != nil {
		b.Fatal(err)
	}
	fee := coins(1_000_003)
	if err := ta.BankKeeper.MintCoins(ta.Ctx, minttypes.ModuleName, coins(1_000_003*int64(b.N+1))); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := k.PayModelFee(ta.Ctx, res.ModelId, minttypes.ModuleName, fee, shares, 10_000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkModelTermsForJob measures the lookup x/compute runs per created job.
func BenchmarkModelTermsForJob(b *testing.B) {
	ta := apptesting.Setup(b, 1)
	k := ta.ModelRegistryKeeper
	owner := ta.Accounts[0].String()
	res, err := keeper.NewMsgServerImpl(k).RegisterModel(ta.Ctx, registerMsg(owner, "bench", "1"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := k.ModelTermsForJob(ta.Ctx, res.ModelId, uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}
