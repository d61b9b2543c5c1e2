package simulation

import (
	"context"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// MsgPostModelBondFactory posts a random model availability bond (in the
// bond denom, always allowed) for any account: a model owner's, whose
// models' jobs then lock it, or another's, which only holds it.
func MsgPostModelBondFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgPostModelBond] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgPostModelBond) {
		params, err := k.GetParams(ctx)
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		amount := sdk.NewCoin(params.MinProviderBond.Denom, math.NewInt(1+testData.Rand().Int63n(1_000_000)))
		owner := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(amount))
		if reporter.IsSkipped() || !owner.LiquidBalance().BlockAmount(amount) {
			reporter.Skip("cannot reserve the bond")
			return nil, nil
		}
		return []simsx.SimAccount{owner}, &types.MsgPostModelBond{Owner: owner.AddressBech32, Amount: sdk.NewCoins(amount)}
	}
}

// MsgWithdrawModelBondFactory withdraws part of a model bond's free part
// (bonded − locked) among the first bonds stored.
func MsgWithdrawModelBondFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgWithdrawModelBond] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgWithdrawModelBond) {
		var free []types.ModelBond
		err := k.ModelBonds.Walk(ctx, nil, func(_ sdk.AccAddress, b types.ModelBond) (bool, error) {
			if !b.Free().IsZero() {
				free = append(free, b)
			}
			return len(free) >= maxCandidates, nil
		})
		if err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		if len(free) == 0 {
			reporter.Skip("no model bond with a free part")
			return nil, nil
		}
		r := testData.Rand()
		b := free[r.Intn(len(free))]
		owner := testData.GetAccount(reporter, b.Owner)
		if reporter.IsSkipped() {
			return nil, nil
		}
		c := r.Coin(b.Free())
		if c.Amount.IsInt64() {
			c.Amount = math.NewInt(1 + r.Int63n(c.Amount.Int64()))
		}
		return []simsx.SimAccount{owner}, &types.MsgWithdrawModelBond{Owner: owner.AddressBech32, Amount: sdk.NewCoins(c)}
	}
}
