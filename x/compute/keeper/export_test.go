package keeper

import (
	"context"

	"github.com/aichain/aichain/x/compute/types"
)

// SaveJob is saveJob for the tests and benchmarks of package keeper_test,
// which seed state the way the keeper writes it (stats, pending checks).
func (k Keeper) SaveJob(ctx context.Context, from types.JobState, j types.Job) error {
	return k.saveJob(ctx, from, j)
}
