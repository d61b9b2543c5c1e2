package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// CreateJob escrows max_price plus the model and dataset fees and opens the auction.
func (k Keeper) CreateJob(ctx context.Context, msg *types.MsgCreateJob) (uint64, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	if msg.MaxPrice.Denom != params.MinProviderBond.Denom {
		return 0, types.ErrInvalidPrice.Wrapf("max_price denom %s, want %s", msg.MaxPrice.Denom, params.MinProviderBond.Denom)
	}
	if msg.CommitBlocks < params.MinCommitBlocks || msg.CommitBlocks > params.MaxCommitBlocks {
		return 0, types.ErrInvalidWindow.Wrapf("commit_blocks %d not in [%d, %d]", msg.CommitBlocks, params.MinCommitBlocks, params.MaxCommitBlocks)
	}
	if msg.RevealBlocks < params.MinRevealBlocks || msg.RevealBlocks > params.MaxRevealBlocks {
		return 0, types.ErrInvalidWindow.Wrapf("reveal_blocks %d not in [%d, %d]", msg.RevealBlocks, params.MinRevealBlocks, params.MaxRevealBlocks)
	}
	if msg.ExecBlocks > params.MaxExecBlocks {
		return 0, types.ErrInvalidWindow.Wrapf("exec_blocks %d exceeds max_exec_blocks %d", msg.ExecBlocks, params.MaxExecBlocks)
	}
	rows, err := msg.Workload.Validate()
	if err != nil {
		return 0, err
	}
	job := types.Job{
		Requester:        msg.Requester,
		Workload:         msg.Workload,
		MaxPrice:         msg.MaxPrice,
		MinHardware:      msg.MinHardware,
		ExecBlocks:       msg.ExecBlocks,
		State:            types.JobState_JOB_STATE_OPEN,
		ClearingPrice:    zeroCoin(msg.MaxPrice.Denom),
		CreatedHeight:    h,
		CommitEnd:        h + int64(msg.CommitBlocks),
		RevealEnd:        h + int64(msg.CommitBlocks) + int64(msg.RevealBlocks),
		WinnerCollateral: zeroCoin(msg.MaxPrice.Denom),
		ModelFee:         sdk.NewCoins(),
		DatasetFee:       sdk.NewCoins(),
		DisputeDeposit:   sdk.NewCoins(),
	}
	if msg.Workload.Kind == types.KindMLP {
		if k.DatasetKeeper == nil {
			return 0, types.ErrDatasetsUnavailable.Wrapf("dataset %d", msg.Workload.Mlp.DatasetId)
		}
		if k.ModelKeeper == nil {
			return 0, types.ErrModelsUnavailable.Wrapf("model %d", msg.Workload.Mlp.ModelId)
		}
		dterms, err := k.DatasetKeeper.DatasetTermsForJob(ctx, msg.Workload.Mlp.DatasetId, msg.Requester)
		if err != nil {
			return 0, types.ErrInvalidWorkload.Wrapf("dataset %d: %v", msg.Workload.Mlp.DatasetId, err)
		}
		mterms, err := k.ModelKeeper.ModelTermsForJob(ctx, msg.Workload.Mlp.ModelId, dterms.Rows)
		if err != nil {
			return 0, types.ErrInvalidWorkload.Wrapf("model %d: %v", msg.Workload.Mlp.ModelId, err)
		}
		if mterms.InputDim != dterms.Cols {
			return 0, types.ErrShapeMismatch.Wrapf("model %d input_dim %d, dataset %d cols %d",
				msg.Workload.Mlp.ModelId, mterms.InputDim, msg.Workload.Mlp.DatasetId, dterms.Cols)
		}
		if err := checkFee("model fee", mterms.Fee, mterms.Shares); err != nil {
			return 0, err
		}
		if err := checkFee("dataset fee", dterms.Fee, dterms.Shares); err != nil {
			return 0, err
		}
		rows = dterms.Rows
		job.ModelId, job.DatasetId = msg.Workload.Mlp.ModelId, msg.Workload.Mlp.DatasetId
		job.ModelFee, job.ModelShares = mterms.Fee, mterms.Shares
		job.DatasetFee, job.DatasetShares = dterms.Fee, dterms.Shares
		job.DatasetVersion, job.DatasetContentRoot = dterms.Version, dterms.ContentRoot
	}
	chunks, err := types.ChunkCountFor(rows, msg.Workload.ChunkRows)
	if err != nil {
		return 0, err
	}
	if chunks > params.MaxChunkCount {
		return 0, types.ErrInvalidWorkload.Wrapf("%d chunks exceed max_chunk_count %d", chunks, params.MaxChunkCount)
	}
	job.Rows, job.ExpectedChunkCount = rows, chunks
	job.Escrow = sdk.NewCoins(msg.MaxPrice).Add(job.ModelFee...).Add(job.DatasetFee...)

	requester := sdk.MustAccAddressFromBech32(msg.Requester)
	if err := k.BankKeeper.SendCoinsFromAccountToModule(ctx, requester, types.ModuleName, job.Escrow); err != nil {
		return 0, err
	}
	id, err := k.JobSeq.Next(ctx)
	if err != nil {
		return 0, err
	}
	job.Id = id
	if err := k.saveJob(ctx, types.JobState_JOB_STATE_UNSPECIFIED, job); err != nil {
		return 0, err
	}
	if err := k.CommitEndQueue.Set(ctx, pair(job.CommitEnd, id)); err != nil {
		return 0, err
	}
	return id, sdkCtx.EventManager().EmitTypedEvent(&types.EventJobCreated{
		JobId: id, Requester: job.Requester, Kind: job.Workload.Kind, Escrow: job.Escrow.String(),
		CommitEnd: job.CommitEnd, RevealEnd: job.RevealEnd,
	})
}

func checkFee(what string, fee sdk.Coins, shares []common.Share) error {
	if err := fee.Validate(); err != nil {
		return types.ErrInvalidWorkload.Wrapf("%s %s: %v", what, fee, err)
	}
	if fee.IsZero() {
		return nil
	}
	if err := common.ValidateShares(shares); err != nil {
		return types.ErrInvalidWorkload.Wrapf("%s shares: %v", what, err)
	}
	return nil
}

// CancelJob refunds a job before award, releasing every commitment's collateral.
func (k Keeper) CancelJob(ctx context.Context, msg *types.MsgCancelJob) error {
	job, err := k.GetJob(ctx, msg.JobId)
	if err != nil {
		return err
	}
	if job.Requester != msg.Requester {
		return types.ErrNotRequester.Wrapf("job %d belongs to %s", job.Id, job.Requester)
	}
	if job.State != types.JobState_JOB_STATE_OPEN && job.State != types.JobState_JOB_STATE_REVEAL {
		return types.ErrWrongState.Wrapf("job %d is %s: only OPEN or REVEAL jobs can be cancelled", job.Id, job.State)
	}
	if err := k.releaseCommitments(ctx, job.Id); err != nil {
		return err
	}
	if err := k.CommitEndQueue.Remove(ctx, pair(job.CommitEnd, job.Id)); err != nil {
		return err
	}
	if err := k.RevealEndQueue.Remove(ctx, pair(job.RevealEnd, job.Id)); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_CANCELLED, types.CloseReason_CLOSE_REASON_REQUESTER_CANCELLED)
}
