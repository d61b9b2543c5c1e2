package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// CreateJob opens the auction of the job msg asks for, for requester (msg's
// decoded requester; msg passed ValidateBasic), and returns its id. It
// escrows max_price plus the model and dataset fees (each at most the
// message's cap), and with a sample_commitment dispute_fee (revealDeposit),
// and pays the non-refundable job_creation_fee to the reward
// pool. The workload is validated and resolved (rows, model and dataset
// terms) through its kind's row of the workload table, and admitted against
// the params (chunk bytes, sizes, work per exec block).
func (k Keeper) CreateJob(ctx context.Context, requester sdk.AccAddress, msg *types.MsgCreateJob) (uint64, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	reqAddr, err := k.addrString(requester)
	if err != nil {
		return 0, err
	}
	if err := checkJobRequest(params, msg); err != nil {
		return 0, err
	}
	kind, terms, err := types.ResolveWorkload(ctx, k.kindState(), msg.Workload, reqAddr)
	if err != nil {
		return 0, err
	}
	chunks, err := kind.ChunkCount(terms.Shape.Rows, msg.Workload.ChunkRows)
	if err != nil {
		return 0, err
	}
	if chunks > params.MaxChunkCount {
		return 0, types.ErrInvalidWorkload.Wrapf("%d chunks exceed max_chunk_count %d", chunks, params.MaxChunkCount)
	}
	if err := params.AdmitJob(terms.Shape, msg.Workload.ChunkRows, msg.ExecBlocks); err != nil {
		return 0, err
	}
	if err := checkFeeCaps(msg, terms); err != nil {
		return 0, err
	}
	if err := checkFeeDenoms(params, terms); err != nil {
		return 0, err
	}
	if err := checkDatasetFeeCovered(params, msg.MaxPrice, terms); err != nil {
		return 0, err
	}
	assurance := assuranceOf(msg)
	bought, err := params.AdmitAssurance(assurance, terms.Shape, msg.Workload.ChunkRows, chunks)
	if err != nil {
		return 0, err
	}
	job := newJob(reqAddr, msg, sdk.UnwrapSDKContext(ctx).BlockHeight(), terms, chunks)
	job.ProtocolFeeBps, job.CreationFee = params.ProtocolFeeBps, params.JobCreationFee
	// The job's life runs under the params it is created under (its terms):
	// a governance change while it runs changes no penalty, draw, dispute,
	// check bound or fee cut of it.
	if job.Terms, err = k.termsNow(ctx, params, job); err != nil {
		return 0, err
	}
	withAssurance(&job, assurance, bought)
	job.Escrow = job.Escrow.Add(revealDeposit(job, params)...)
	if err := k.lockModelBond(ctx, &job, terms.Model); err != nil {
		return 0, err
	}
	return k.openJob(ctx, job, expectedCheckBps(job, params))
}

// checkFeeCaps refuses a job whose model or dataset fee exceeds the
// requester's cap (an empty cap allows no fee): a fee raised ahead of the
// transaction cannot take more than the requester agreed to.
func checkFeeCaps(msg *types.MsgCreateJob, terms types.JobTerms) error {
	if !terms.Model.Fee.IsAllLTE(msg.MaxModelFee) {
		return types.ErrFeeAboveCap.Wrapf("model %d fee %s exceeds max_model_fee %q", terms.ModelID, terms.Model.Fee, msg.MaxModelFee)
	}
	if !terms.Dataset.Fee.IsAllLTE(msg.MaxDatasetFee) {
		return types.ErrFeeAboveCap.Wrapf("dataset %d fee %s exceeds max_dataset_fee %q", terms.DatasetID, terms.Dataset.Fee, msg.MaxDatasetFee)
	}
	return nil
}

// checkFeeDenoms refuses a job whose model or dataset is priced in a denom
// not in allowed_denoms: the job would escrow (and its settlement pay out)
// a coin the chain has not accepted for jobs.
func checkFeeDenoms(params types.Params, terms types.JobTerms) error {
	if err := params.CheckAllowed("model fee", terms.Model.Fee); err != nil {
		return errorsmod.Wrapf(err, "model %d", terms.ModelID)
	}
	if err := params.CheckAllowed("dataset fee", terms.Dataset.Fee); err != nil {
		return errorsmod.Wrapf(err, "dataset %d", terms.DatasetID)
	}
	return nil
}

// checkDatasetFeeCovered refuses a job whose dataset fee the compensation
// of its winner's timeout could not cover (params.TimeoutCompensation, in
// the fee's denoms). The award makes the fee the dataset owner's whatever the
// outcome, and a timeout compensates the requester from the winner's
// collateral, which is sized to max_price: a winner that is the dataset's
// owner (or its accomplice) could otherwise time out on purpose and be paid
// a fee larger than its penalty out of an honest requester's escrow
// (TestAttackDatasetOwnerWinsAndTimesOut).
func checkDatasetFeeCovered(params types.Params, maxPrice sdk.Coin, terms types.JobTerms) error {
	fee := terms.Dataset.Fee
	if fee.IsZero() {
		return nil
	}
	if comp := params.TimeoutCompensation(maxPrice); !fee.IsAllLTE(comp) {
		return types.ErrDatasetFeeUncovered.Wrapf("dataset %d fee %s: a timeout of the winner compensates at most %q at max_price %s; raise max_price",
			terms.DatasetID, fee, comp, maxPrice)
	}
	return nil
}

// kindState is what the workload table's rows may read: the model and
// dataset keepers (nil when not wired).
func (k Keeper) kindState() types.KindState {
	return types.KindState{Models: k.ModelKeeper, Datasets: k.DatasetKeeper}
}

// checkJobRequest checks a job's price denom (one of allowed_denoms) and
// windows against the params.
func checkJobRequest(params types.Params, msg *types.MsgCreateJob) error {
	if !params.IsAllowedDenom(msg.MaxPrice.Denom) {
		return types.ErrDenomNotAllowed.Wrapf("max_price %s: allowed denoms are %v", msg.MaxPrice, params.AllowedDenoms)
	}
	if msg.CommitBlocks < params.MinCommitBlocks || msg.CommitBlocks > params.MaxCommitBlocks {
		return types.ErrInvalidWindow.Wrapf("commit_blocks %d not in [%d, %d]", msg.CommitBlocks, params.MinCommitBlocks, params.MaxCommitBlocks)
	}
	if msg.RevealBlocks < params.MinRevealBlocks || msg.RevealBlocks > params.MaxRevealBlocks {
		return types.ErrInvalidWindow.Wrapf("reveal_blocks %d not in [%d, %d]", msg.RevealBlocks, params.MinRevealBlocks, params.MaxRevealBlocks)
	}
	if msg.ExecBlocks < params.MinExecBlocks || msg.ExecBlocks > params.MaxExecBlocks {
		return types.ErrInvalidWindow.Wrapf("exec_blocks %d not in [%d, %d]", msg.ExecBlocks, params.MinExecBlocks, params.MaxExecBlocks)
	}
	return nil
}

// newJob is the OPEN job a request creates at height h, with the terms its
// kind resolved and its escrow: max_price plus the model and dataset fees.
func newJob(requester string, msg *types.MsgCreateJob, h int64, terms types.JobTerms, chunks uint64) types.Job {
	job := types.Job{
		Requester:             requester,
		Workload:              msg.Workload,
		MaxPrice:              msg.MaxPrice,
		MinHardware:           msg.MinHardware,
		ExecBlocks:            msg.ExecBlocks,
		State:                 types.JobState_JOB_STATE_OPEN,
		ClearingPrice:         zeroCoin(msg.MaxPrice.Denom),
		CreatedHeight:         h,
		CommitEnd:             h + int64(msg.CommitBlocks),
		RevealEnd:             h + int64(msg.CommitBlocks) + int64(msg.RevealBlocks),
		WinnerCollateral:      zeroCoin(msg.MaxPrice.Denom),
		WinnerPriceCollateral: zeroCoin(msg.MaxPrice.Denom),
		CreationFee:           zeroCoin(msg.MaxPrice.Denom),
		ModelFee:              sdk.NewCoins(),
		DatasetFee:            sdk.NewCoins(),
		DisputeDeposit:        sdk.NewCoins(),
		Rows:                  terms.Shape.Rows,
		MulAdds:               terms.Shape.MulAdds,
		ExpectedChunkCount:    chunks,
		SampleCommitment:      msg.SampleCommitment,
	}
	if terms.ModelID != 0 {
		job.ModelId, job.ModelFee, job.ModelShares = terms.ModelID, terms.Model.Fee, terms.Model.Shares
		// Where its provider and verifiers also fetch the weights
		// (jobexec.WithModelURI) when a later owner points the model at
		// nothing: the job's, bond or not (TestAttackBuyerRepointsModelToVoidSellersOwnJob).
		job.ModelUri = terms.Model.URI
	}
	if terms.DatasetID != 0 {
		job.DatasetId, job.DatasetFee, job.DatasetShares = terms.DatasetID, terms.Dataset.Fee, terms.Dataset.Shares
		job.DatasetVersion, job.DatasetContentRoot = terms.Dataset.Version, terms.Dataset.ContentRoot
	}
	job.Escrow = sdk.NewCoins(msg.MaxPrice).Add(job.ModelFee...).Add(job.DatasetFee...)
	return job
}

// openJob pays the creation fee to the reward pool and moves the job's
// escrow into the module account (one transfer from the requester: SendMany),
// gives the job an id, stores it (insertJob: counted with its fee in one
// Stats write) and queues the end of its commit phase.
func (k Keeper) openJob(ctx context.Context, job types.Job, checkBps uint64) (uint64, error) {
	fee := sdk.NewCoins()
	if job.CreationFee.IsPositive() {
		fee = sdk.NewCoins(job.CreationFee)
	}
	if err := modkit.SendMany(ctx, k.BankKeeper, job.Requester, []modkit.Output{
		{Address: k.poolAddr, Coins: fee}, {Address: k.escrowAddr, Coins: job.Escrow},
	}); err != nil {
		return 0, err
	}
	id, err := modkit.NextID(ctx, k.JobSeq, types.ErrIDsExhausted, "job") // never wraps onto job 1
	if err != nil {
		return 0, err
	}
	job.Id = id
	// Its inputs' share holders and its bought samples, in its record and
	// its settlement (the spec's own block work was charged by the message).
	sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(job.TermsBlockGas(), "compute: block work of the job's terms")
	// The expected checks' verdicts, on the record as stored (verdictgas.go).
	if err := k.chargeVerdicts(ctx, job.VerdictGas(job.CountsVerdicts()), checkBps, 0, "compute: expected verdicts"); err != nil {
		return 0, err
	}
	if err := k.insertJob(ctx, job, fee); err != nil {
		return 0, err
	}
	if err := k.CommitEndQueue.Set(ctx, pair(job.CommitEnd, id)); err != nil {
		return 0, err
	}
	return id, modkit.EmitTypedEvent(ctx, &types.EventJobCreated{
		JobId: id, Requester: job.Requester, Kind: job.Workload.Kind, Escrow: job.Escrow.String(),
		CommitEnd: job.CommitEnd, RevealEnd: job.RevealEnd, CreationFee: job.CreationFee.String(),
	})
}

// CancelJob refunds a job of requester in its commit phase (OPEN, at most
// commit_end), releasing its commitments' collateral: close_batch_size of
// them at once, any more in the blocks after (cancelCommitments). Once the commit
// phase is over the bids are being opened and the bidders have locked
// collateral for the whole reveal window: the job can no longer be
// cancelled. The creation fee is not refunded.
func (k Keeper) CancelJob(ctx context.Context, requester sdk.AccAddress, jobID uint64) error {
	job, err := k.requesterJob(ctx, jobID, requester)
	if err != nil {
		return err
	}
	if h := sdk.UnwrapSDKContext(ctx).BlockHeight(); job.State != types.JobState_JOB_STATE_OPEN || h > job.CommitEnd {
		return types.ErrWrongState.Wrapf("job %d is %s at height %d: only a job in its commit phase (OPEN, up to height %d) can be cancelled",
			job.Id, job.State, h, job.CommitEnd)
	}
	if err := k.cancelCommitments(ctx, &job); err != nil {
		return err
	}
	if err := k.CommitEndQueue.Remove(ctx, pair(job.CommitEnd, job.Id)); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_CANCELLED, types.CloseReason_CLOSE_REASON_REQUESTER_CANCELLED)
}
