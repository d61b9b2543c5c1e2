package keeper

import (
	"context"

	"github.com/aichain/aichain/x/compute/types"
)

// PutJob and RemoveJob are putJob and removeJob for package keeper_test.
func (k Keeper) PutJob(ctx context.Context, j types.Job) error { return k.putJob(ctx, j) }

// RemoveJob is removeJob for package keeper_test.
func (k Keeper) RemoveJob(ctx context.Context, j types.Job) error { return k.removeJob(ctx, j) }
