package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"sort"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

func pair(h int64, id uint64) collections.Pair[int64, uint64] { return collections.Join(h, id) }

func pairS(h int64, addr string) collections.Pair[int64, string] { return collections.Join(h, addr) }

func zeroCoin(denom string) sdk.Coin { return sdk.NewCoin(denom, math.ZeroInt()) }

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

// releaseCommitments unlocks every commitment's collateral of a job that did
// not reach award (cancel). Bounded by max_bids_per_job.
func (k Keeper) releaseCommitments(ctx context.Context, jobID uint64) error {
	commits, err := k.jobCommits(ctx, jobID)
	if err != nil {
		return err
	}
	for _, c := range commits {
		if err := k.unlock(ctx, c.Provider, c.Deposit); err != nil {
			return err
		}
	}
	return nil
}

func (k Keeper) jobCommits(ctx context.Context, jobID uint64) ([]types.BidCommit, error) {
	it, err := k.BidCommits.Iterate(ctx, collections.NewPrefixedPairRange[uint64, string](jobID))
	if err != nil {
		return nil, err
	}
	return it.Values()
}

func (k Keeper) unlock(ctx context.Context, addr string, amt sdk.Coin) error {
	p, err := k.GetProvider(ctx, addr)
	if err != nil {
		return err
	}
	old := p
	p.Locked = subClamp(p.Locked, amt)
	return k.saveProvider(ctx, &old, p)
}

// subClamp returns a − b, or zero when b exceeds a. A slash can leave a
// provider's bond below what its open commitments had locked (the lock is
// then capped at the bond), so releases and forfeits are clamped to what is
// still locked rather than failing and stranding a job.
func subClamp(a, b sdk.Coin) sdk.Coin {
	if a.Denom != b.Denom || a.IsLT(b) {
		return zeroCoin(a.Denom)
	}
	return a.Sub(b)
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

// closeWithRefund ends a job, returning its whole escrow (and any dispute
// deposit) to the requester; nothing goes to the model or dataset.
func (k Keeper) closeWithRefund(ctx context.Context, job types.Job, state types.JobState, reason types.CloseReason) error {
	refund := job.Escrow.Add(job.DisputeDeposit...)
	if !refund.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, sdk.MustAccAddressFromBech32(job.Requester), refund); err != nil {
			return err
		}
	}
	return k.closeJob(ctx, job, state, reason, sdk.NewCoins(), sdk.NewCoins(), refund)
}

func (k Keeper) closeJob(ctx context.Context, job types.Job, state types.JobState, reason types.CloseReason, paid, fee, refund sdk.Coins) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	from := job.State
	if from == types.JobState_JOB_STATE_VERIFYING {
		if err := k.clearTally(ctx, job.Id); err != nil {
			return err
		}
		if err := k.VerificationEndQueue.Remove(ctx, pair(job.VerificationEnd, job.Id)); err != nil {
			return err
		}
	}
	if job.DatasetId != 0 && job.Winner != "" && k.DatasetKeeper != nil {
		if err := k.DatasetKeeper.RevokeJobAccess(ctx, job.DatasetId, job.Id); err != nil {
			return err
		}
	}
	job.State, job.CloseReason, job.ClosedHeight = state, reason, sdkCtx.BlockHeight()
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	return sdkCtx.EventManager().EmitTypedEvent(&types.EventJobClosed{
		JobId: job.Id, State: state, CloseReason: reason,
		ProviderPayment: paid.String(), ProtocolFee: fee.String(), Refund: refund.String(),
	})
}

// CommitBid records a sealed bid and locks its collateral from the bond.
func (k Keeper) CommitBid(ctx context.Context, msg *types.MsgCommitBid) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	job, err := k.GetJob(ctx, msg.JobId)
	if err != nil {
		return err
	}
	if job.State != types.JobState_JOB_STATE_OPEN {
		return types.ErrCommitWindowClosed.Wrapf("job %d is %s", job.Id, job.State)
	}
	if msg.Provider == job.Requester {
		return types.ErrOwnBid.Wrapf("job %d", job.Id)
	}
	p, err := k.GetProvider(ctx, msg.Provider)
	if err != nil {
		return err
	}
	if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		return types.ErrProviderNotActive.Wrapf("provider %s is %s", p.Address, p.Status)
	}
	if !p.Hardware.Meets(job.MinHardware, job.Workload.Kind) {
		return types.ErrHardwareMismatch.Wrapf("job %d needs %s for %s", job.Id, job.MinHardware.String(), job.Workload.Kind)
	}
	key := collections.Join(job.Id, msg.Provider)
	if has, err := k.BidCommits.Has(ctx, key); err != nil {
		return err
	} else if has {
		return types.ErrBidExists.Wrapf("job %d, provider %s", job.Id, msg.Provider)
	}
	if job.CommitCount >= params.MaxBidsPerJob {
		return types.ErrTooManyBids.Wrapf("job %d has %d commitments", job.Id, job.CommitCount)
	}
	collateral := params.Collateral(job.MaxPrice)
	if p.Bond.Denom != collateral.Denom || p.Bond.Sub(p.Locked).IsLT(collateral) {
		return types.ErrInsufficientCollateral.Wrapf("free bond %s, collateral %s", p.Bond.Sub(p.Locked), collateral)
	}
	old := p
	p.Locked = p.Locked.Add(collateral)
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	c := types.BidCommit{
		JobId: job.Id, Provider: msg.Provider, Commitment: msg.Commitment, Deposit: collateral,
		Order: job.CommitCount, Height: sdk.UnwrapSDKContext(ctx).BlockHeight(),
	}
	if err := k.BidCommits.Set(ctx, key, c); err != nil {
		return err
	}
	job.CommitCount++
	if err := k.saveJob(ctx, job.State, job); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventBidCommitted{JobId: job.Id, Provider: msg.Provider, Deposit: collateral.String()})
}

// RevealBid opens a commitment during the reveal phase.
func (k Keeper) RevealBid(ctx context.Context, msg *types.MsgRevealBid) error {
	job, err := k.GetJob(ctx, msg.JobId)
	if err != nil {
		return err
	}
	key := collections.Join(job.Id, msg.Provider)
	c, err := k.BidCommits.Get(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return types.ErrBidNotFound.Wrapf("job %d, provider %s", job.Id, msg.Provider)
		}
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	switch {
	case job.State == types.JobState_JOB_STATE_OPEN:
		return types.ErrWrongState.Wrapf("job %d: the reveal phase starts after height %d", job.Id, job.CommitEnd)
	case job.State != types.JobState_JOB_STATE_REVEAL || h > job.RevealEnd:
		return types.ErrRevealWindowClosed.Wrapf("job %d is %s; the reveal window ended at height %d", job.Id, job.State, job.RevealEnd)
	}
	if c.Revealed {
		return types.ErrAlreadyRevealed.Wrapf("job %d, provider %s", job.Id, msg.Provider)
	}
	if msg.Price.Denom != job.MaxPrice.Denom || job.MaxPrice.IsLT(msg.Price) {
		return types.ErrInvalidPrice.Wrapf("price %s must be at most max_price %s", msg.Price, job.MaxPrice)
	}
	if want := types.BidCommitment(job.Id, msg.Provider, msg.Price, msg.Salt); !bytes.Equal(want, c.Commitment) {
		return types.ErrBadCommitment.Wrapf("job %d, provider %s: SHA-256(job_id ‖ provider ‖ %s ‖ salt) = %X, committed %X",
			job.Id, msg.Provider, msg.Price, want, c.Commitment)
	}
	c.Revealed = true
	if err := k.BidCommits.Set(ctx, key, c); err != nil {
		return err
	}
	if err := k.Bids.Set(ctx, key, types.Bid{JobId: job.Id, Provider: msg.Provider, Price: msg.Price}); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventBidRevealed{JobId: job.Id, Provider: msg.Provider, Price: msg.Price.String()})
}

// endCommitPhase moves an OPEN job to REVEAL, or expires it without bids.
func (k Keeper) endCommitPhase(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_OPEN {
		return ignoreNotFound(err)
	}
	if job.CommitCount == 0 {
		return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)
	}
	from := job.State
	job.State = types.JobState_JOB_STATE_REVEAL
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	return k.RevealEndQueue.Set(ctx, pair(job.RevealEnd, job.Id))
}

type revealed struct {
	commit types.BidCommit
	price  sdk.Coin
	slash  uint64
}

// closeAuction awards a REVEAL job at the second-lowest price, forfeits
// unrevealed deposits to the reward pool and releases the losers' collateral.
func (k Keeper) closeAuction(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_REVEAL {
		return ignoreNotFound(err)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	commits, err := k.jobCommits(ctx, id)
	if err != nil {
		return err
	}
	var valid []revealed
	forfeited := sdk.NewCoins()
	for _, c := range commits {
		p, err := k.GetProvider(ctx, c.Provider)
		if err != nil {
			return err
		}
		if !c.Revealed {
			old := p
			take := c.Deposit
			if p.Bond.IsLT(take) {
				take = p.Bond
			}
			p.Locked = subClamp(p.Locked, take)
			p.Bond = p.Bond.Sub(take)
			if err := k.saveProvider(ctx, &old, p); err != nil {
				return err
			}
			forfeited = forfeited.Add(take)
			if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventDepositForfeited{JobId: id, Provider: c.Provider, Amount: c.Deposit.String()}); err != nil {
				return err
			}
			continue
		}
		bid, err := k.Bids.Get(ctx, collections.Join(id, c.Provider))
		if err != nil {
			return err
		}
		if p.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
			// A provider jailed since it bid cannot win: release it.
			if err := k.unlock(ctx, c.Provider, c.Deposit); err != nil {
				return err
			}
			continue
		}
		valid = append(valid, revealed{commit: c, price: bid.Price, slash: p.Stats.Slashed})
	}
	if !forfeited.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, common.RewardPoolName, forfeited); err != nil {
			return err
		}
		if err := k.addStatsCoins(ctx, nil, forfeited, nil); err != nil {
			return err
		}
	}
	if len(valid) == 0 {
		return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_VALID_REVEAL)
	}
	sort.SliceStable(valid, func(a, b int) bool {
		va, vb := valid[a], valid[b]
		if !va.price.Amount.Equal(vb.price.Amount) {
			return va.price.Amount.LT(vb.price.Amount)
		}
		if va.slash != vb.slash {
			return va.slash < vb.slash
		}
		return va.commit.Order < vb.commit.Order
	})
	win := valid[0]
	clearing := job.MaxPrice
	if len(valid) > 1 {
		clearing = valid[1].price
	}
	for _, v := range valid[1:] {
		if err := k.unlock(ctx, v.commit.Provider, v.commit.Deposit); err != nil {
			return err
		}
	}
	from := job.State
	job.State = types.JobState_JOB_STATE_ASSIGNED
	job.Winner = win.commit.Provider
	job.ClearingPrice = clearing
	job.WinnerCollateral = win.commit.Deposit
	job.ExecDeadline = sdkCtx.BlockHeight() + int64(job.ExecBlocks)
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	if err := k.ExecDeadlineQueue.Set(ctx, pair(job.ExecDeadline, id)); err != nil {
		return err
	}
	if job.DatasetId != 0 && k.DatasetKeeper != nil {
		if err := k.DatasetKeeper.GrantJobAccess(ctx, job.DatasetId, id, job.Winner); err != nil {
			return err
		}
	}
	return sdkCtx.EventManager().EmitTypedEvent(&types.EventJobAwarded{
		JobId: id, Winner: job.Winner, ClearingPrice: clearing.String(), ExecDeadline: job.ExecDeadline,
	})
}

// SubmitResult records the winner's result; the sampling draw happens in the next block.
func (k Keeper) SubmitResult(ctx context.Context, msg *types.MsgSubmitResult) error {
	job, err := k.GetJob(ctx, msg.JobId)
	if err != nil {
		return err
	}
	if job.Winner == "" || job.Winner != msg.Provider {
		return types.ErrNotWinner.Wrapf("job %d: %s is not its winner", job.Id, msg.Provider)
	}
	if job.State != types.JobState_JOB_STATE_ASSIGNED {
		return types.ErrWrongState.Wrapf("job %d is %s, want ASSIGNED", job.Id, job.State)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if h > job.ExecDeadline {
		return types.ErrDeadlinePassed.Wrapf("job %d: execution deadline was height %d", job.Id, job.ExecDeadline)
	}
	if msg.ChunkCount != job.ExpectedChunkCount {
		return types.ErrInvalidResult.Wrapf("chunk_count %d, the workload has %d chunks (ceil(rows %d / chunk_rows %d))",
			msg.ChunkCount, job.ExpectedChunkCount, job.Rows, job.Workload.ChunkRows)
	}
	if err := k.ExecDeadlineQueue.Remove(ctx, pair(job.ExecDeadline, job.Id)); err != nil {
		return err
	}
	from := job.State
	job.Result = types.JobResult{OutputRoot: msg.OutputRoot, ChunkCount: msg.ChunkCount, SubmittedHeight: h}
	job.State = types.JobState_JOB_STATE_SUBMITTED
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	if err := k.SampleQueue.Set(ctx, pair(h, job.Id)); err != nil {
		return err
	}
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventResultSubmitted{
		JobId: job.Id, Provider: msg.Provider, OutputRoot: hex.EncodeToString(msg.OutputRoot), ChunkCount: msg.ChunkCount,
	})
}

// decideSample runs the sampling draw of a job submitted in an earlier block.
func (k Keeper) decideSample(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_SUBMITTED || job.Sample.Decided {
		return ignoreNotFound(err)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return err
	}
	rate := SampleRateBps(p, params, h)
	seed := types.SampleSeed(sdkCtx.HeaderHash(), id)
	selected := types.SampleSelected(seed, rate)
	job.Sample.Decided = true
	var deadline int64
	if selected {
		if err := k.startVerification(ctx, &job, seed, params); err != nil {
			return err
		}
		deadline = job.VerificationEnd
	} else {
		job.ChallengeEnd = h + int64(params.ChallengeBlocks)
		deadline = job.ChallengeEnd
		if err := k.saveJob(ctx, job.State, job); err != nil {
			return err
		}
		if err := k.ChallengeEndQueue.Set(ctx, pair(job.ChallengeEnd, id)); err != nil {
			return err
		}
	}
	return sdkCtx.EventManager().EmitTypedEvent(&types.EventJobSampled{
		JobId: id, Selected: selected, Indices: job.Sample.Indices, SampleRateBps: rate, Deadline: deadline,
	})
}

func (k Keeper) startVerification(ctx context.Context, job *types.Job, seed [32]byte, params types.Params) error {
	from := job.State
	job.Sample.Selected = true
	job.Sample.Indices = types.SampleIndices(seed, job.Result.ChunkCount, params.SamplesPerJob)
	job.State = types.JobState_JOB_STATE_VERIFYING
	job.VerificationEnd = sdk.UnwrapSDKContext(ctx).BlockHeight() + int64(params.VerificationBlocks)
	if err := k.saveJob(ctx, from, *job); err != nil {
		return err
	}
	if err := k.Tallies.Set(ctx, job.Id, types.VerificationTally{}); err != nil {
		return err
	}
	return k.VerificationEndQueue.Set(ctx, pair(job.VerificationEnd, job.Id))
}

// DisputeResult lets the requester force verification of an unsampled result
// during its challenge window, paying dispute_fee (returned if fraud is proven
// or the verification is inconclusive, sent to the reward pool otherwise).
func (k Keeper) DisputeResult(ctx context.Context, msg *types.MsgDisputeResult) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	job, err := k.GetJob(ctx, msg.JobId)
	if err != nil {
		return err
	}
	if job.Requester != msg.Requester {
		return types.ErrNotRequester.Wrapf("job %d belongs to %s", job.Id, job.Requester)
	}
	if job.State != types.JobState_JOB_STATE_SUBMITTED || !job.Sample.Decided {
		return types.ErrWrongState.Wrapf("job %d is %s (sampling decided: %t): only results in their challenge window can be disputed",
			job.Id, job.State, job.Sample.Decided)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if sdkCtx.BlockHeight() > job.ChallengeEnd {
		return types.ErrDeadlinePassed.Wrapf("job %d: challenge window ended at height %d", job.Id, job.ChallengeEnd)
	}
	if params.DisputeFee.IsPositive() {
		fee := sdk.NewCoins(params.DisputeFee)
		if err := k.BankKeeper.SendCoinsFromAccountToModule(ctx, sdk.MustAccAddressFromBech32(msg.Requester), types.ModuleName, fee); err != nil {
			return err
		}
		job.DisputeDeposit = job.DisputeDeposit.Add(fee...)
	}
	if err := k.ChallengeEndQueue.Remove(ctx, pair(job.ChallengeEnd, job.Id)); err != nil {
		return err
	}
	job.Sample.Disputed = true
	if err := k.startVerification(ctx, &job, types.SampleSeed(sdkCtx.HeaderHash(), job.Id), params); err != nil {
		return err
	}
	return sdkCtx.EventManager().EmitTypedEvent(&types.EventResultDisputed{JobId: job.Id, Requester: msg.Requester, Fee: job.DisputeDeposit.String()})
}

// settle pays a job out: clearing price minus the protocol fee to the winner,
// the protocol fee to the reward pool, the model and dataset fees through
// their keepers, the rest of the escrow back to the requester.
func (k Keeper) settle(ctx context.Context, job types.Job, inconclusive bool) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	price := sdk.NewCoins(job.ClearingPrice)
	fee := common.FeePart(price, params.ProtocolFeeBps)
	pay := price.Sub(fee...)
	spent := price.Add(job.ModelFee...).Add(job.DatasetFee...)
	refund, neg := job.Escrow.SafeSub(spent...)
	if neg {
		return types.ErrInvariant.Wrapf("job %d: escrow %s below what it owes %s", job.Id, job.Escrow, spent)
	}
	toPool := fee
	if inconclusive {
		refund = refund.Add(job.DisputeDeposit...)
	} else {
		toPool = toPool.Add(job.DisputeDeposit...)
	}
	winner := sdk.MustAccAddressFromBech32(job.Winner)
	if !pay.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, winner, pay); err != nil {
			return err
		}
	}
	if !toPool.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToModule(ctx, types.ModuleName, common.RewardPoolName, toPool); err != nil {
			return err
		}
	}
	if !job.ModelFee.IsZero() {
		if k.ModelKeeper == nil {
			return types.ErrModelsUnavailable.Wrapf("job %d owes a model fee", job.Id)
		}
		if err := k.ModelKeeper.PayModelFee(ctx, job.ModelId, types.ModuleName, job.ModelFee, job.ModelShares, job.Rows); err != nil {
			return err
		}
	}
	if !job.DatasetFee.IsZero() {
		if k.DatasetKeeper == nil {
			return types.ErrDatasetsUnavailable.Wrapf("job %d owes a dataset fee", job.Id)
		}
		if err := k.DatasetKeeper.PayDatasetFee(ctx, job.DatasetId, types.ModuleName, job.DatasetFee, job.DatasetShares); err != nil {
			return err
		}
	}
	if !refund.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, sdk.MustAccAddressFromBech32(job.Requester), refund); err != nil {
			return err
		}
	}
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return err
	}
	old := p
	p.Locked = subClamp(p.Locked, job.WinnerCollateral)
	p.Stats.Completed++
	p.Stats.Earned = p.Stats.Earned.Add(pay...)
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return err
	}
	if err := k.addStatsCoins(ctx, pay, toPool, nil); err != nil {
		return err
	}
	reason := types.CloseReason_CLOSE_REASON_SETTLED
	if inconclusive {
		reason = types.CloseReason_CLOSE_REASON_SETTLED_INCONCLUSIVE
		tally, err := k.Tallies.Get(ctx, job.Id)
		if err != nil && !isNotFound(err) {
			return err
		}
		if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventVerificationInconclusive{
			JobId: job.Id, ValidPower: tally.ValidPower, InvalidPower: tally.InvalidPower, UnavailablePower: tally.UnavailablePower,
		}); err != nil {
			return err
		}
	}
	return k.closeJob(ctx, job, types.JobState_JOB_STATE_SETTLED, reason, pay, toPool, refund)
}

// slash takes amount from the winner's bond: requester_compensation_bps of it
// to the requester, the rest burned. It also releases the job's collateral.
func (k Keeper) slash(ctx context.Context, job types.Job, fractionBps uint32, reason types.CloseReason, jail bool) (sdk.Coins, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return nil, err
	}
	old := p
	amt := p.Bond.Amount.MulRaw(int64(fractionBps)).QuoRaw(common.BasisPoints)
	if reason == types.CloseReason_CLOSE_REASON_FRAUD && amt.LT(job.WinnerCollateral.Amount) {
		amt = job.WinnerCollateral.Amount
	}
	if amt.GT(p.Bond.Amount) {
		amt = p.Bond.Amount
	}
	slashed := sdk.NewCoins(sdk.NewCoin(p.Bond.Denom, amt))
	comp := common.FeePart(slashed, params.RequesterCompensationBps)
	burn := slashed.Sub(comp...)
	if !comp.IsZero() {
		if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, sdk.MustAccAddressFromBech32(job.Requester), comp); err != nil {
			return nil, err
		}
	}
	if !burn.IsZero() {
		if err := k.BankKeeper.BurnCoins(ctx, types.ModuleName, burn); err != nil {
			return nil, err
		}
	}
	p.Bond = p.Bond.SubAmount(amt)
	p.Locked = subClamp(p.Locked, job.WinnerCollateral)
	if p.Locked.Amount.GT(p.Bond.Amount) {
		// Other bids' collateral can no longer be fully covered: cap it.
		p.Locked = p.Bond
	}
	p.Stats.Failed++
	p.Stats.Slashed++
	p.Stats.LastSlashHeight = h
	if jail && p.Status != types.ProviderStatus_PROVIDER_STATUS_UNBONDING {
		p.Status = types.ProviderStatus_PROVIDER_STATUS_JAILED
		p.JailedUntil = h + int64(params.JailBlocks)
		if err := sdkCtx.EventManager().EmitTypedEvent(&types.EventProviderJailed{Provider: p.Address, JailedUntil: p.JailedUntil}); err != nil {
			return nil, err
		}
	}
	if err := k.saveProvider(ctx, &old, p); err != nil {
		return nil, err
	}
	if err := k.addStatsCoins(ctx, nil, nil, burn); err != nil {
		return nil, err
	}
	return comp, sdkCtx.EventManager().EmitTypedEvent(&types.EventProviderSlashed{
		Provider: p.Address, JobId: job.Id, Amount: slashed.String(), ToRequester: comp.String(), Burned: burn.String(), Reason: reason,
	})
}

// failFraud slashes and jails the winner, refunds the requester in full and fails the job.
func (k Keeper) failFraud(ctx context.Context, job types.Job) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if _, err := k.slash(ctx, job, params.SlashFractionFraud, types.CloseReason_CLOSE_REASON_FRAUD, true); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
}

// execTimeout slashes a winner without a result by its deadline and refunds the requester.
func (k Keeper) execTimeout(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_ASSIGNED {
		return ignoreNotFound(err)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if _, err := k.slash(ctx, job, params.SlashFractionTimeout, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT, false); err != nil {
		return err
	}
	return k.closeWithRefund(ctx, job, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
}

func (k Keeper) endChallenge(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_SUBMITTED || !job.Sample.Decided {
		return ignoreNotFound(err)
	}
	return k.settle(ctx, job, false)
}

func (k Keeper) endVerification(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_VERIFYING {
		return ignoreNotFound(err)
	}
	return k.settle(ctx, job, true)
}

func ignoreNotFound(err error) error {
	if err == nil || isNotFound(err) {
		return nil
	}
	return err
}
