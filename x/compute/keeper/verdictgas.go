package keeper

import (
	"context"
	"errors"
	"math"
	"math/bits"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// Verdict work paid in gas (types.VerdictBlockGas). The verdicts a job
// under check gets, one per validator, are recorded and tallied by the
// PreBlocker under the block's infinite gas meter; the message that puts
// the job under check, or makes it likely, pays for them up front, so the
// fee, simulation and the proposer's gas budget see them: 100 validators'
// verdicts on one job used 555,248 gas in one block and 1,043,351 one a
// block, paid by no one (TestVerdictWorkIsCharged).

// recordSetSize keeps the number of validators of the last injected
// commit's set (RecordBeacon), the verdicts a check can get, writing only
// when it changes.
func (k Keeper) recordSetSize(ctx context.Context, set []types.BeaconVoter) error {
	var n uint64
	for _, v := range set {
		if v.Power > 0 {
			n++
		}
	}
	old, err := k.SetSize.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if err == nil && old == n {
		return nil
	}
	return k.SetSize.Set(ctx, n)
}

// chargeVerdicts consumes the gas of rateBps of a check by the last
// commit's set, at per a verdict (none before the first injected commit: no
// verdict can come before one), at most limit (0: none).
func (k Keeper) chargeVerdicts(ctx context.Context, per, rateBps, limit uint64, what string) error {
	if rateBps == 0 {
		return nil
	}
	n, err := k.SetSize.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Saturating: a product that wraps would charge nothing (SetSize is at
	// most MaxSetSize, from a commit or a validated genesis; per and the
	// rate are the chain's).
	gas := ceilBps(satMul(min(n, types.MaxSetSize), per), min(rateBps, common.BasisPoints))
	if limit > 0 {
		gas = min(gas, limit)
	}
	sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(gas, what)
	return nil
}

// expectedCheckBps is the share of a new job's result the chain expects to
// check: all of it when the requester bought assurance, else the sampling
// floor (a winner whose record samples it more pays the rest at
// submission: chargeRiskyWinner).
func expectedCheckBps(job types.Job, params types.Params) uint64 {
	if job.SamplesBought > 0 {
		return common.BasisPoints
	}
	return uint64(params.SampleRateFloorBps)
}

// chargeRiskyWinner charges the winner submitting job's result for the
// checks its record adds above the floor its requester paid for, and
// records the rate paid for (drawRate).
func (k Keeper) chargeRiskyWinner(ctx context.Context, job *types.Job, params types.Params) error {
	p, err := k.GetProvider(ctx, job.Winner)
	if err != nil {
		return err
	}
	rate := SampleRateBps(p, params, sdk.UnwrapSDKContext(ctx).BlockHeight())
	job.Sample.ChargedRateBps, job.Sample.RateCharged = rate, true
	floor := params.SampleRateFloorBps
	if job.SamplesBought > 0 || rate <= floor {
		return nil // assured: every check paid at creation
	}
	return k.chargeVerdicts(ctx, job.VerdictGas(false), uint64(rate-floor), types.MaxWinnerCheckGas, "compute: verdicts on a winner sampled above the floor")
}

// drawRate is the rate a submitted result is drawn at: the winner's rate
// now (SampleRateBps), at most the rate its submission paid for, unless
// the winner was slashed for fraud since (then its rate, the full one: its
// slash paid far more than the checks). A timeout between the submission
// and the draw raised the rate of every result the winner had just
// submitted, for verdicts no one paid
// (TestAttackTimeoutBetweenSubmissionAndDrawRaisesTheUnpaidRate). A
// last_slash_height of 0 is no slash: a zero-height export rebases a
// submission to height 0 or below and leaves a winner never slashed (or out
// of its window) at 0, which read as slashed since
// (TestAttackZeroHeightExportLiftsTheChargedRateCap); one in its window is
// at 1, after any rebased submission, and keeps the full rate.
func drawRate(job types.Job, p types.Provider, rate uint32) uint32 {
	slashedSince := p.Stats.LastSlashHeight > 0 && p.Stats.LastSlashHeight >= job.Result.SubmittedHeight
	if !job.Sample.RateCharged || rate <= job.Sample.ChargedRateBps || slashedSince {
		return rate
	}
	return job.Sample.ChargedRateBps
}

// satMul is a × b, or the largest uint64 where the product would wrap.
func satMul(a, b uint64) uint64 {
	if hi, lo := bits.Mul64(a, b); hi == 0 {
		return lo
	}
	return math.MaxUint64
}

// ceilBps is ⌈x × bps / 10,000⌉, saturating.
func ceilBps(x, bps uint64) uint64 {
	p := satMul(x, bps)
	q := p / common.BasisPoints
	if p%common.BasisPoints != 0 {
		q++
	}
	return q
}
