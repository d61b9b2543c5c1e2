package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

func isNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }

// IsTerminal reports whether a job state is final.
func IsTerminal(s types.JobState) bool { return s.IsTerminal() }

// holdsWinnerCollateral reports whether the job's winner collateral is locked.
func holdsWinnerCollateral(s types.JobState) bool { return s.HoldsWinnerCollateral() }

func pair(h int64, id uint64) collections.Pair[int64, uint64] { return collections.Join(h, id) }

func pairS(h int64, addr string) collections.Pair[int64, string] { return collections.Join(h, addr) }

func zeroCoin(denom string) sdk.Coin { return sdk.NewCoin(denom, math.ZeroInt()) }

// pruneHeight is when a terminal job is pruned: retention_blocks after it
// closed.
func pruneHeight(job types.Job, params types.Params) int64 {
	return job.ClosedHeight + int64(params.RetentionBlocks)
}

// pruneKey is the height of terminal job j's prune-queue entry: its
// pruneHeight, or its sweep's resume_height when its pruning (or a release
// of its commitments that outlasted its retention) went on past that. ok is
// false while a cancelled job's release is pending: the release files the
// entry when it ends.
func pruneKey(j types.Job, params types.Params) (h int64, ok bool) {
	if j.Sweep.ReleasePending {
		return 0, false
	}
	return max(pruneHeight(j, params), j.Sweep.ResumeHeight), true
}

// revealKey is the height of REVEAL job j's reveal-end entry: reveal_end,
// or the next batch's height once its close went on past it.
func revealKey(j types.Job) int64 {
	return max(j.RevealEnd, j.Sweep.ResumeHeight)
}

func ignoreNotFound(err error) error {
	if err == nil || isNotFound(err) {
		return nil
	}
	return err
}

// jobAndActor reads a job and the bech32 form of the account acting on it.
func (k Keeper) jobAndActor(ctx context.Context, jobID uint64, actor sdk.AccAddress) (types.Job, string, error) {
	job, err := k.GetJob(ctx, jobID)
	if err != nil {
		return job, "", err
	}
	addr, err := k.addrString(actor)
	return job, addr, err
}

// requesterJob reads a job that requester asked for, or ErrNotRequester.
func (k Keeper) requesterJob(ctx context.Context, jobID uint64, requester sdk.AccAddress) (types.Job, error) {
	job, addr, err := k.jobAndActor(ctx, jobID, requester)
	if err != nil {
		return job, err
	}
	if job.Requester != addr {
		return job, types.ErrNotRequester.Wrapf("job %d belongs to %s", job.Id, job.Requester)
	}
	return job, nil
}
