package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// BeaconDrawHeights is how many heights' beacons a draw combines: those of
// the two heights after the submission (or the dispute).
const BeaconDrawHeights = 2

// scheduleDraw sets the height whose block runs the sampling draw of job, for
// an event (a submission or a dispute) at height h, and files it in the
// sample queue: with the beacon active, the block in which the beacons of
// h+1 and h+2 are final (h + 2 + W); otherwise the next block (h + 1, the
// header hash). A submission's draw from beacons on a job with a
// sample_commitment, and a dispute's on a dispute with one, waits from then
// (reveal_from) for the requester's secret, at most SampleRevealBlocks
// (RevealSampleSecret). A header-hash
// draw does not wait: the secret would be public before the block that
// draws is made, and the reveal would choose that block, and its proposer
// (TestAttackRequesterChoosesTheBlockOfAHeaderHashDraw).
func (k Keeper) scheduleDraw(ctx context.Context, job *types.Job, h int64, params types.Params) error {
	active, err := k.beaconActive(ctx, params)
	if err != nil {
		return err
	}
	job.Sample.DecideHeight = h + 1
	job.Sample.BeaconHeights = nil
	if active {
		job.Sample.DecideHeight = h + BeaconDrawHeights + int64(params.BeaconWindowBlocks)
		for i := int64(1); i <= BeaconDrawHeights; i++ {
			job.Sample.BeaconHeights = append(job.Sample.BeaconHeights, h+i)
		}
	}
	if commitment, secret := revealSlot(job); active && len(commitment) > 0 && len(*secret) == 0 {
		job.Sample.RevealFrom = job.Sample.DecideHeight
		job.Sample.DecideHeight += types.SampleRevealBlocks
	}
	return k.SampleQueue.Set(ctx, pair(job.Sample.DecideHeight, job.Id))
}

// drawSeed returns the seed of a job's draw in this block and records its
// source on the job. Beacon draws combine the final, available beacons of
// job.Sample.BeaconHeights (BeaconSeed); when none of them is available (the
// shares carried at most 2/3 of the power, no round was recorded, or the
// beacon was pruned) the draw falls back to this block's header hash with
// an EventBeaconUnavailable. ready is false when a round of those heights is
// still open (beacon_window_blocks was raised since): the caller re-files
// the draw for the next block.
func (k Keeper) drawSeed(ctx context.Context, job *types.Job) (seed [32]byte, ready bool, err error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if len(job.Sample.BeaconHeights) == 0 {
		job.Sample.SeedSource = types.SeedSource_SEED_SOURCE_HEADER_HASH
		return types.SampleSeed(sdkCtx.HeaderHash(), job.Id), true, nil
	}
	beacons, used, ready, err := k.drawBeacons(ctx, *job)
	if err != nil || !ready {
		return seed, false, err
	}
	if len(beacons) == 0 {
		if err := modkit.EmitTypedEvent(sdkCtx, &types.EventBeaconUnavailable{
			JobId: job.Id, Heights: job.Sample.BeaconHeights,
		}); err != nil {
			return seed, false, err
		}
		job.Sample.SeedSource = types.SeedSource_SEED_SOURCE_HEADER_HASH
		job.Sample.BeaconHeights = nil
		return types.SampleSeed(sdkCtx.HeaderHash(), job.Id), true, nil
	}
	job.Sample.SeedSource = types.SeedSource_SEED_SOURCE_BEACON
	job.Sample.BeaconHeights = used
	return types.BeaconSeed(job.Id, beacons), true, nil
}

// drawDue is the height a job's draw runs at: decide_height, or for jobs
// submitted before it existed the block after the submission.
func drawDue(job types.Job) int64 {
	if job.Sample.DecideHeight > 0 {
		return job.Sample.DecideHeight
	}
	return job.Result.SubmittedHeight + 1
}

// pendingDispute tells a disputed job waiting for its draw (beacon active):
// still SUBMITTED, out of the challenge queue, not yet selected.
func pendingDispute(job types.Job) bool {
	return job.State == types.JobState_JOB_STATE_SUBMITTED && job.Sample.Disputed && !job.Sample.Selected
}

// RevealSampleSecret takes the requester's secret for its result's draw
// (types.SecretSeed): once the draw's beacons are final (reveal_from) and
// before the draw (decide_height), the secret must open the job's
// sample_commitment, and the draw is moved to the next block. A validator
// withholding its beacon shares had to choose before the secret was public,
// so its choice no longer chooses the draw
// (TestAttackColludingValidatorWithholdsShareToSkipSampling). reveal_from is
// where the beacons were final under the beacon_window_blocks of the
// submission: a raise since keeps their rounds open, so the reveal also waits
// for the rounds to close (drawBeaconsFinal,
// TestAttackRaisedBeaconWindowShowsTheFriendTheSecret). Nothing changes on a
// refusal.
func (k Keeper) RevealSampleSecret(ctx context.Context, requester sdk.AccAddress, jobID uint64, secret []byte) error {
	job, err := k.requesterJob(ctx, jobID, requester)
	if err != nil {
		return err
	}
	commitment, revealed := revealSlot(&job)
	if len(commitment) == 0 {
		return types.ErrRevealNotOpen.Wrapf("job %d: its %s draw has no sample_commitment (sampling decided: %t)", job.Id, drawName(job), job.Sample.Decided)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if job.State != types.JobState_JOB_STATE_SUBMITTED || len(*revealed) > 0 ||
		job.Sample.RevealFrom == 0 || h < job.Sample.RevealFrom || h >= job.Sample.DecideHeight {
		return types.ErrRevealNotOpen.Wrapf("job %d is %s (%s draw's secret revealed: %t, reveal from height %d before %d, now %d)",
			job.Id, job.State, drawName(job), len(*revealed) > 0, job.Sample.RevealFrom, job.Sample.DecideHeight, h)
	}
	if final, err := k.drawBeaconsFinal(ctx, job); err != nil || !final {
		if err != nil {
			return err
		}
		return types.ErrRevealNotOpen.Wrapf("job %d: the beacons of heights %v are not all final, or none is available",
			job.Id, job.Sample.BeaconHeights)
	}
	if !types.OpensSampleCommitment(commitment, secret) {
		return types.ErrInvalidSampleSecret.Wrapf("job %d: the secret does not open the sample_commitment of its %s draw", job.Id, drawName(job))
	}
	if err := k.SampleQueue.Remove(ctx, pair(job.Sample.DecideHeight, job.Id)); err != nil {
		return err
	}
	*revealed = secret
	job.Sample.DecideHeight = h + 1
	if err := k.SampleQueue.Set(ctx, pair(job.Sample.DecideHeight, job.Id)); err != nil {
		return err
	}
	if err := k.saveJob(ctx, job.State, job); err != nil {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventSampleSecretRevealed{JobId: job.Id, Requester: job.Requester})
}

// drawBeaconsFinal tells whether the beacons of a job's draw are fixed: the
// rounds of all its beacon_heights closed, and one of their beacons
// available (otherwise the draw falls back to the header hash of the block
// that runs it, which a secret public by then does not blind).
func (k Keeper) drawBeaconsFinal(ctx context.Context, job types.Job) (bool, error) {
	beacons, _, ready, err := k.drawBeacons(ctx, job)
	return ready && len(beacons) > 0, err
}

// drawBeacons returns the available beacons of a job's beacon_heights and
// their heights, ready false while a round of those heights is still open:
// what the draw combines (drawSeed) and the reveal waits for.
func (k Keeper) drawBeacons(ctx context.Context, job types.Job) (beacons [][]byte, used []int64, ready bool, err error) {
	for _, h := range job.Sample.BeaconHeights {
		open, err := k.BeaconRounds.Has(ctx, h)
		if err != nil || open {
			return nil, nil, false, err
		}
		b, err := k.Beacons.Get(ctx, h)
		if err != nil {
			if err = ignoreNotFound(err); err != nil {
				return nil, nil, false, err
			}
			continue
		}
		if len(b.Value) > 0 {
			beacons = append(beacons, b.Value)
			used = append(used, h)
		}
	}
	return beacons, used, true, nil
}

// revealSlot returns the commitment a reveal opens for the draw a job
// waits for, and where its secret goes: a waiting dispute's
// (sample.dispute_commitment, sample.dispute_secret), else, before the
// result's draw, the job's (sample_commitment, sample.secret); no
// commitment once the result's draw has run and no dispute waits.
func revealSlot(job *types.Job) (commitment []byte, secret *[]byte) {
	switch {
	case pendingDispute(*job):
		return job.Sample.DisputeCommitment, &job.Sample.DisputeSecret
	case !job.Sample.Decided:
		return job.SampleCommitment, &job.Sample.Secret
	}
	return nil, &job.Sample.Secret
}

// drawName names the draw revealSlot serves, for errors.
func drawName(job types.Job) string {
	if pendingDispute(job) {
		return "dispute's"
	}
	return "result's"
}

// awaitsSecret tells a job whose first draw waits for its requester's
// secret: committed, a window opened, neither drawn nor revealed.
func awaitsSecret(job types.Job) bool {
	return len(job.SampleCommitment) > 0 && job.Sample.RevealFrom > 0 && !job.Sample.Decided && len(job.Sample.Secret) == 0
}

// revealDeposit is what a job with a sample_commitment escrows besides its
// price and fees: dispute_fee (of its terms). It comes back with the rest
// of the escrow unless keptSecretDisputes takes it.
func revealDeposit(job types.Job, params types.Params) sdk.Coins {
	if len(job.SampleCommitment) == 0 || !params.DisputeFee.IsPositive() {
		return sdk.NewCoins()
	}
	return sdk.NewCoins(params.DisputeFee)
}

// keptSecretDisputes turns the reveal deposit of a job whose requester kept
// its secret into the deposit of a dispute, when the beacons' draw samples
// its result at a rate below 100 % without bought samples. Once the beacons
// were final the requester knew both draws, the beacons' alone and the one
// with its secret, and kept its secret where only the first samples: a
// check that a dispute sells for dispute_fee, and that the verdicts its
// creation paid for (at the floor) did not cover
// (TestAttackRequesterPicksTheSampledOfItsTwoDraws). Like a dispute's, the
// deposit goes to the reward pool if the result is valid and back to the
// requester otherwise (settle, closeWithRefund).
func keptSecretDisputes(job *types.Job, deposit sdk.Coins, rate uint32) {
	if deposit.IsZero() || !awaitsSecret(*job) || job.Sample.SeedSource != types.SeedSource_SEED_SOURCE_BEACON ||
		job.SamplesBought > 0 || rate >= common.BasisPoints {
		return
	}
	rest, neg := job.Escrow.SafeSub(deposit...)
	if neg {
		return // not escrowed (CreateJob escrows it)
	}
	job.Escrow = rest
	job.DisputeDeposit = job.DisputeDeposit.Add(deposit...)
}
