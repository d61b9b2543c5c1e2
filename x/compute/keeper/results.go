package keeper

import (
	"context"
	"encoding/hex"
	"slices"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// SubmitResult records the winner's result on a job: the Merkle root of its
// output chunks and their count. The sampling draw happens once the beacons
// of the next two heights are final (scheduleDraw), or in the next block
// when the beacon is off.
func (k Keeper) SubmitResult(ctx context.Context, provider sdk.AccAddress, jobID uint64, outputRoot []byte, chunkCount uint64) error {
	job, addr, err := k.assignedToWinner(ctx, jobID, provider)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if h > job.ExecDeadline {
		return types.ErrDeadlinePassed.Wrapf("job %d: execution deadline was height %d", job.Id, job.ExecDeadline)
	}
	if chunkCount != job.ExpectedChunkCount {
		return types.ErrInvalidResult.Wrapf("chunk_count %d, the workload has %d chunks (ceil(rows %d / chunk_rows %d))",
			chunkCount, job.ExpectedChunkCount, job.Rows, job.Workload.ChunkRows)
	}
	if err := k.ExecDeadlineQueue.Remove(ctx, pair(job.ExecDeadline, job.Id)); err != nil {
		return err
	}
	from := job.State
	job.Result = types.JobResult{OutputRoot: outputRoot, ChunkCount: chunkCount, SubmittedHeight: h}
	job.State = types.JobState_JOB_STATE_SUBMITTED
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	if err := k.chargeRiskyWinner(ctx, &job, params); err != nil {
		return err
	}
	if err := k.scheduleDraw(ctx, &job, h, params); err != nil {
		return err
	}
	if err := k.saveJob(ctx, from, job); err != nil {
		return err
	}
	ev := &types.EventResultSubmitted{JobId: job.Id, Provider: addr, OutputRoot: hex.EncodeToString(outputRoot), ChunkCount: chunkCount}
	if job.Sample.RevealFrom > 0 {
		ev.RevealFrom, ev.DrawHeight = job.Sample.RevealFrom, job.Sample.DecideHeight
	}
	return modkit.EmitTypedEvent(ctx, ev)
}

// decideSample runs the sampling draw of a job submitted in an earlier block
// (or the draw of a dispute's chunks), at its decide_height.
func (k Keeper) decideSample(ctx context.Context, id uint64) error {
	job, err := k.Jobs.Get(ctx, id)
	if err != nil || job.State != types.JobState_JOB_STATE_SUBMITTED || (job.Sample.Decided && !pendingDispute(job)) {
		return ignoreNotFound(err)
	}
	due := drawDue(job)
	if early, err := filedEarly(ctx, k.SampleQueue, due, due, id); err != nil || early {
		return err
	}
	// The draw runs under the job's terms (sample_rate_floor_bps,
	// samples_per_job, the windows, and the recent-slash window of
	// jail_blocks × recent_slash_window_multiplier): a floor or window cut
	// between the submission and the draw does not let the result go
	// unchecked (TestAttackParamsSampleFloorCutBeforeDraw,
	// TestAttackParamsSlashWindowCutBeforeDraw).
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	seed, ready, err := k.drawSeed(ctx, &job)
	if err != nil || !ready {
		if err != nil {
			return err
		}
		return k.SampleQueue.Set(ctx, pair(h+1, id))
	}
	seed = types.DrawSecrets(seed, job.Sample)
	if pendingDispute(job) {
		return k.startVerification(ctx, &job, seed, params)
	}
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return err
	}
	rate := drawRate(job, p, SampleRateBps(p, params, h))
	selected := job.SamplesBought > 0 || types.SampleSelected(seed, rate) // assurance: always verified
	if selected {
		keptSecretDisputes(&job, revealDeposit(job, params), rate)
	}
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
	return modkit.EmitTypedEvent(sdkCtx, &types.EventJobSampled{
		JobId: id, Selected: selected, Indices: job.Sample.Indices, SampleRateBps: rate, Deadline: deadline,
	})
}

func (k Keeper) startVerification(ctx context.Context, job *types.Job, seed [32]byte, params types.Params) error {
	from := job.State
	job.Sample.Selected = true
	job.Sample.Indices = withRequested(types.SampleIndices(seed, job.Result.ChunkCount, samplesFor(*job, params)), job.Sample.Requested)
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

// withRequested adds the chunks a requester named to the sampled ones, in
// increasing order, each once.
func withRequested(sampled, requested []uint64) []uint64 {
	if len(requested) == 0 {
		return sampled
	}
	out := append(append([]uint64{}, sampled...), requested...)
	slices.Sort(out)
	return slices.Compact(out)
}

// DisputeResult lets the requester force verification of an unsampled result
// during its challenge window (its chunks are drawn like a submission's, from
// the beacons of the two heights after the dispute: disputeDraw), paying dispute_fee (returned if fraud is proven
// or the verification is inconclusive or withheld, sent to the reward pool
// otherwise). chunkIndices (at most max_dispute_chunks) are checked besides
// the sampled chunks, all of them work one verification window can check
// (Params.AdmitDispute).
//
// With a sample commitment (optional, types.SampleCommitment of a fresh
// secret) the dispute's beacon draw waits for its secret as a submission's
// does (scheduleDraw, RevealSampleSecret): a validator withholding its
// beacon shares after the dispute then cannot choose which chunks the
// dispute checks (TestAttackColludingValidatorWithholdsShareToSkipDisputedChunk).
// The job's own commitment, once its result's draw revealed the secret, is
// refused (types.ValidateDisputeCommitment).
func (k Keeper) DisputeResult(ctx context.Context, requester sdk.AccAddress, jobID uint64, chunkIndices []uint64, commitment []byte) error {
	job, err := k.requesterJob(ctx, jobID, requester)
	if err != nil {
		return err
	}
	// A dispute is admitted under the job's terms (max_work_per_exec_block,
	// verification_blocks, max_dispute_chunks): the remedy the requester
	// paid for at creation is not withdrawn by a later params change
	// (TestAttackParamsWorkLimitShrunkBarsDispute), nor priced out of its
	// reach by a raise of dispute_fee, which is a term too
	// (TestAttackParamsDisputeFeeRaisedBarsDispute).
	params, err := k.jobParams(ctx, job)
	if err != nil {
		return err
	}
	if job.State != types.JobState_JOB_STATE_SUBMITTED || !job.Sample.Decided || job.Sample.Disputed {
		return types.ErrWrongState.Wrapf("job %d is %s (sampling decided: %t): only results in their challenge window can be disputed",
			job.Id, job.State, job.Sample.Decided)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if sdkCtx.BlockHeight() > job.ChallengeEnd {
		return types.ErrDeadlinePassed.Wrapf("job %d: challenge window ended at height %d", job.Id, job.ChallengeEnd)
	}
	if err := types.ValidateDisputeCommitment(job, commitment); err != nil {
		return err
	}
	if err := params.ValidateChunkIndices(chunkIndices, job.Result.ChunkCount); err != nil {
		return err
	}
	job.Sample.Requested = withRequested(nil, chunkIndices)
	if err := params.AdmitDispute(job.MulAdds, job.Result.ChunkCount, uint64(samplesFor(job, params)), uint64(len(job.Sample.Requested))); err != nil {
		return err
	}
	if params.DisputeFee.IsPositive() {
		fee := sdk.NewCoins(params.DisputeFee)
		if err := modkit.ToModule(ctx, k.BankKeeper, k.addressCodec, requester, types.ModuleName, fee); err != nil {
			return err
		}
		job.DisputeDeposit = job.DisputeDeposit.Add(fee...)
	}
	if err := k.ChallengeEndQueue.Remove(ctx, pair(job.ChallengeEnd, job.Id)); err != nil {
		return err
	}
	job.Sample.Disputed = true
	job.Sample.DisputeCommitment = commitment
	job.Sample.RevealFrom = 0 // the window of the submission's draw has passed; scheduleDraw opens the dispute's
	if err := k.chargeVerdicts(ctx, job.VerdictGas(false), common.BasisPoints, 0, "compute: the dispute's verdicts"); err != nil {
		return err
	}
	if err := k.disputeDraw(ctx, &job, params); err != nil {
		return err
	}
	ev := &types.EventResultDisputed{JobId: job.Id, Requester: job.Requester, Fee: job.DisputeDeposit.String()}
	if job.Sample.RevealFrom > 0 {
		ev.RevealFrom, ev.DrawHeight = job.Sample.RevealFrom, job.Sample.DecideHeight
	}
	return modkit.EmitTypedEvent(sdkCtx, ev)
}

// assignedToWinner returns an ASSIGNED job and the winner's address, when
// provider is its winner: what SubmitResult and AbortJob act on.
func (k Keeper) assignedToWinner(ctx context.Context, jobID uint64, provider sdk.AccAddress) (types.Job, string, error) {
	job, addr, err := k.jobAndActor(ctx, jobID, provider)
	if err != nil {
		return job, addr, err
	}
	if job.Winner == "" || job.Winner != addr {
		return job, addr, types.ErrNotWinner.Wrapf("job %d: %s is not its winner", job.Id, addr)
	}
	if job.State != types.JobState_JOB_STATE_ASSIGNED {
		return job, addr, types.ErrWrongState.Wrapf("job %d is %s, want ASSIGNED", job.Id, job.State)
	}
	return job, addr, nil
}

// disputeDraw starts a dispute's verification: with the beacon active, the
// job waits (SUBMITTED, disputed, out of the challenge queue) for the draw at
// its new decide_height, so that no proposer of the dispute's block chooses
// the sampled chunks; otherwise it starts now with the header hash.
func (k Keeper) disputeDraw(ctx context.Context, job *types.Job, params types.Params) error {
	active, err := k.beaconActive(ctx, params)
	if err != nil {
		return err
	}
	if active {
		if err := k.scheduleDraw(ctx, job, sdk.UnwrapSDKContext(ctx).BlockHeight(), params); err != nil {
			return err
		}
		return k.saveJob(ctx, job.State, *job)
	}
	job.Sample.SeedSource = types.SeedSource_SEED_SOURCE_HEADER_HASH
	job.Sample.BeaconHeights = nil
	seed := types.DrawSecrets(types.SampleSeed(sdk.UnwrapSDKContext(ctx).HeaderHash(), job.Id), job.Sample)
	return k.startVerification(ctx, job, seed, params)
}
