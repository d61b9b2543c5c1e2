package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// payOrRedirect runs one payout of amount out of the module account (pay)
// all or nothing, in a cache context of its own. A payout that fails — a
// revenue share naming a module account, a payee that refuses coins, a
// model or dataset keeper that errs — must not freeze the job (its escrow,
// its winner's collateral and the winner's unbonding with it): amount goes
// to the reward pool instead, the job goes on, and an EventPayoutRedirected
// says what happened. Only a failure to pay the reward pool is returned (a
// broken store: the queue retries the entry). A zero amount pays nothing.
func (k Keeper) payOrRedirect(ctx context.Context, jobID uint64, what string, amount sdk.Coins, pay func(context.Context) error) error {
	if amount.IsZero() {
		return nil
	}
	perr := modkit.RunCached(ctx, pay)
	if perr == nil {
		return nil
	}
	if err := k.BankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, common.RewardPoolName, amount); err != nil {
		return err
	}
	if err := k.addStatsCoins(ctx, nil, amount, nil); err != nil {
		return err
	}
	k.Logger(ctx).Error("payout failed; sent to the reward pool", "job_id", jobID, "what", what, "amount", amount.String(), "err", perr)
	return modkit.EmitTypedEvent(ctx, &types.EventPayoutRedirected{
		JobId: jobID, What: what, Amount: amount.String(), Error: perr.Error(),
	})
}
