package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/internal/modkit"
	"github.com/aichain/aichain/x/modelregistry/types"
)

// ModelTermsForJob returns the model's architecture and shape (with a
// gpt-f32 model's config) and the fee a job over `rows` rows (dataset rows,
// or prompts) escrows (fee_per_job + ceil(fee_per_1k_rows × rows / 1000),
// see types.JobFee), with the share snapshot it will be paid to. It fails if
// the model does not exist or is deprecated; the job's kind checks the
// architecture. x/compute calls it when a job is created; later fee or share
// updates do not change the terms of a job already created.
func (k Keeper) ModelTermsForJob(ctx context.Context, modelID uint64, rows uint64) (common.ModelTerms, error) {
	m, err := k.GetModel(ctx, modelID)
	if err != nil {
		return common.ModelTerms{}, err
	}
	if m.Status != types.MODEL_STATUS_ACTIVE {
		return common.ModelTerms{}, errorsmod.Wrapf(types.ErrDeprecated, "model %d (%s %s) takes no new jobs", m.Id, m.Name, m.Version)
	}
	fee, err := types.JobFee(m.FeePerJob, m.FeePer1kRows, rows)
	if err != nil {
		return common.ModelTerms{}, errorsmod.Wrapf(err, "model %d", m.Id)
	}
	var gpt common.GPTShape
	if m.Gpt != nil {
		gpt = m.Gpt.Shape()
	}
	return common.ModelTerms{
		Architecture: m.Architecture,
		GPT:          gpt,
		InputDim:     m.InputDim,
		OutputDim:    m.OutputDim,
		RowMulAdds:   types.RowMulAdds(m.LayerWidths),
		Layers:       types.MLPLayers(m.LayerWidths),
		RowValues:    types.RowValues(m.LayerWidths),
		WidestLayer:  types.WidestLayer(m.LayerWidths),
		Owner:        m.Owner,
		URI:          m.Uri,
		Fee:          fee,
		Shares:       append([]common.Share(nil), m.Shares...),
	}, nil
}

// PlatformFeeBps is the platform_fee_bps in force: x/compute records it on
// a job when the job is created and pays the job's model fee under it
// (PayModelFeeAt), so that a later params change does not change the cut of
// a job already running (TestAttackGPParamsPlatformFeeRaisedUnderRunningJob).
func (k Keeper) PlatformFeeBps(ctx context.Context) (uint32, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, errorsmod.Wrap(err, "read params")
	}
	return params.PlatformFeeBps, nil
}

// PayModelFee pays a settled job's model fee out of fromModule's module
// account with modkit.Payout: platform_fee_bps of it (common.FeePart, rounded
// down) to the reward pool, the rest split over shares with common.SplitCoins
// (remainder to the first share; no share may be a blocked module account),
// and records the use (jobs +1, rows, gross revenue). The model may have been
// deprecated since the job was created. Either everything is paid and
// recorded, or nothing is (the work runs in a cache context). It takes the
// platform_fee_bps in force; x/compute pays under the job's own
// (PayModelFeeAt).
func (k Keeper) PayModelFee(ctx context.Context, modelID uint64, fromModule string, fee sdk.Coins, shares []common.Share, rows uint64) error {
	bps, err := k.PlatformFeeBps(ctx)
	if err != nil {
		return err
	}
	return k.PayModelFeeAt(ctx, modelID, fromModule, fee, bps, shares, rows)
}

// PayModelFeeAt is PayModelFee with the platform fee platformFeeBps (at
// most 100%): the one in force when the job was created.
func (k Keeper) PayModelFeeAt(ctx context.Context, modelID uint64, fromModule string, fee sdk.Coins, platformFeeBps uint32, shares []common.Share, rows uint64) error {
	if err := fee.Validate(); err != nil {
		return errorsmod.Wrapf(types.ErrFeePayment, "fee %s: %v", fee, err)
	}
	// An amount past the bound would overflow the payout's products (a
	// panic, which x/compute's settlement queue would retry for ever).
	if err := common.CheckAmountBits("fee", fee...); err != nil {
		return errorsmod.Wrap(types.ErrFeePayment, err.Error())
	}
	if platformFeeBps > common.BasisPoints {
		return errorsmod.Wrapf(types.ErrFeePayment, "platform fee %d bps exceeds %d", platformFeeBps, common.BasisPoints)
	}
	m, err := k.GetModel(ctx, modelID)
	if err != nil {
		return err
	}
	return modkit.RunCached(ctx, func(ctx context.Context) error {
		paid, err := k.payout().Pay(ctx, modkit.FromModule(fromModule), fee, platformFeeBps, shares)
		if err != nil {
			return errorsmod.Wrapf(err, "model %d fee", modelID)
		}
		m.Usage.Jobs = common.SatAdd(m.Usage.Jobs, 1)
		m.Usage.Rows = common.SatAdd(m.Usage.Rows, rows)
		m.Usage.Revenue = m.Usage.AddRevenue(fee)
		if err := k.Models.Set(ctx, m.Id, m); err != nil {
			return errorsmod.Wrapf(err, "record usage of model %d", m.Id)
		}
		return modkit.EmitTypedEvent(ctx, &types.EventModelFeePaid{
			ModelId: m.Id, FromModule: fromModule, Rows: rows, Fee: fee, PlatformFee: paid.Fee,
		})
	})
}
