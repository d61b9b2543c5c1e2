package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/staking-rewards/types"
)

// EndBlocker distributes new reward-pool coins and pays back matured locks.
func (k Keeper) EndBlocker(ctx context.Context) error {
	if err := k.SyncRewards(ctx); err != nil {
		return err
	}
	_, err := k.ProcessMaturedUnlocks(ctx)
	return err
}

// ProcessMaturedUnlocks pays back at most max_withdrawals_per_block matured
// unlocking locks, oldest unlock time first; the rest carry over to the next
// blocks. The queue drains with modkit.DrainDue: each payout runs in its own
// cache context, and one that fails leaves no trace but its entry, re-queued
// at the current block time (behind every entry already due) with an
// EventQueueEntryRetried; it does not stop the others. Returns how many
// queue entries it took.
func (k Keeper) ProcessMaturedUnlocks(ctx context.Context) (int, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	return modkit.DrainDue(ctx, modkit.Drain[time.Time, uint64]{
		Module: types.ModuleName, Name: unlockQueueName, Queue: k.UnlockQueue, Handle: k.withdrawMatured,
	}, now, now, int(params.MaxWithdrawalsPerBlock))
}

// withdrawMatured pays back one lock if, by its state, it is due: it still
// exists, is unlocking, and its unlock time has passed. A lock already
// withdrawn (MsgWithdraw) or not matured is left alone, so that a stale or
// retried entry is a no-op.
func (k Keeper) withdrawMatured(ctx context.Context, id uint64) error {
	l, err := k.Locks.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if !l.IsUnlocking() || sdk.UnwrapSDKContext(ctx).BlockTime().Before(l.UnlockTime()) {
		return nil
	}
	owner, err := k.addressCodec.StringToBytes(l.Owner)
	if err != nil {
		return err
	}
	return k.withdraw(ctx, l, owner, true)
}
