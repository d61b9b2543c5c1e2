package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
)

// PrepareForZeroHeight rebases the only height the module stores, a model's
// created_height (history: nothing reads it but explorers), for a zero-height
// export with ctx's height H as the export height: like x/compute and
// x/datamarket, a height h becomes h − H when it is after the export and 0
// otherwise, so every model's created_height becomes 0.
// app.prepForZeroHeightGenesis calls it before the genesis is written.
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	exportHeight := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if exportHeight <= 0 {
		return nil // already at genesis: nothing to rebase
	}
	it, err := k.Models.Iterate(ctx, nil)
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: models")
	}
	models, err := it.Values()
	if err != nil {
		return errorsmod.Wrap(err, "zero-height export: models")
	}
	for _, m := range models {
		m.CreatedHeight = common.RebaseHeight(m.CreatedHeight, exportHeight)
		if err := k.Models.Set(ctx, m.Id, m); err != nil {
			return errorsmod.Wrapf(err, "zero-height export: model %d", m.Id)
		}
	}
	if err := k.WeightsCommits.Rebase(ctx, exportHeight); err != nil {
		return errorsmod.Wrap(err, "zero-height export: weights commitments")
	}
	return nil
}
