package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// verdictKind is one row of the verdict table: the job state the verdict
// is about, and the tally field it adds its power to. A new verdict kind is
// one more row (and, when it decides something new, its outcome rule).
type verdictKind struct {
	state types.JobState
	count func(*types.VerificationTally) *int64
}

var verdictKinds = map[types.Verdict]verdictKind{
	types.Verdict_VERDICT_VALID: {types.JobState_JOB_STATE_VERIFYING,
		func(t *types.VerificationTally) *int64 { return &t.ValidPower }},
	types.Verdict_VERDICT_INVALID: {types.JobState_JOB_STATE_VERIFYING,
		func(t *types.VerificationTally) *int64 { return &t.InvalidPower }},
	types.Verdict_VERDICT_UNAVAILABLE: {types.JobState_JOB_STATE_VERIFYING,
		func(t *types.VerificationTally) *int64 { return &t.UnavailablePower }},
	types.Verdict_VERDICT_INPUTS_AVAILABLE: {types.JobState_JOB_STATE_ABORTING,
		func(t *types.VerificationTally) *int64 { return &t.InputsAvailablePower }},
	types.Verdict_VERDICT_INPUTS_UNAVAILABLE: {types.JobState_JOB_STATE_ABORTING,
		func(t *types.VerificationTally) *int64 { return &t.InputsUnavailablePower }},
	types.Verdict_VERDICT_DATASET_UNAVAILABLE: {types.JobState_JOB_STATE_ABORTING,
		func(t *types.VerificationTally) *int64 { return &t.DatasetUnavailablePower }},
}

// ApplyVerdicts records one block's verdicts. votes lists every validator
// of the set that signed the commit (consensus address bytes), with its
// voting power and its verdicts on jobs (possibly none); totalPower is that
// set's bonded power (the previous height's set). Per job, a validator
// counts once; a verdict counts only on a job in the state its kind is
// about (VALID, INVALID, UNAVAILABLE on a VERIFYING job; INPUTS_AVAILABLE,
// INPUTS_UNAVAILABLE, DATASET_UNAVAILABLE on an ABORTING one) and is
// ignored otherwise. Every verdict of the block is recorded before any job
// is decided, so that whether a validator's verdict counts (and earns its
// share of a verification fee) does not depend on its place in the commit.
// Then each job that got a verdict is tallied again (retally: every voter's
// verdict at its power in this commit, 0 for a voter no longer in the set)
// and decided if it can be: VERIFYING, see verificationOutcome; ABORTING,
// see abort.go. Bad entries are skipped with a log line; a job whose
// outcome cannot be applied is logged and left for its deadline. It returns
// an error only for store failures.
func (k Keeper) ApplyVerdicts(ctx context.Context, totalPower int64, votes []types.ValidatorVerdicts) error {
	logger := k.Logger(ctx)
	if totalPower <= 0 {
		if len(votes) > 0 {
			logger.Error("verdicts ignored: total power is not positive", "total_power", totalPower)
		}
		return nil
	}
	powers := make(map[string]int64, len(votes))
	for _, v := range votes {
		if len(v.ConsAddress) == 0 || v.Power <= 0 || v.Power > totalPower {
			logger.Error("verdicts skipped: bad validator entry", "validator", fmt.Sprintf("%X", v.ConsAddress), "power", v.Power)
			continue
		}
		powers[string(v.ConsAddress)] = v.Power
	}
	// Each job that got a verdict, in the order first got, read once a
	// block, not once a verdict; a verdict writes its voter record (and a
	// counted verdict's entry, counted.go), never the job.
	var moved []uint64
	latest := map[uint64]types.Job{}
	for _, v := range votes {
		if _, ok := powers[string(v.ConsAddress)]; !ok {
			continue
		}
		for _, jv := range v.Verdicts {
			cached, seen := latest[jv.JobId]
			job, recorded, err := k.recordVerdict(ctx, v, jv, cached, seen)
			if err != nil {
				return err
			}
			if !recorded {
				continue
			}
			if !seen {
				moved = append(moved, jv.JobId)
			}
			latest[jv.JobId] = job
		}
	}
	for _, id := range moved {
		c, err := k.retally(ctx, latest[id], powers)
		if err != nil {
			return err
		}
		k.decide(ctx, totalPower, powers, c)
	}
	return nil
}

// retally sums a job's tally from its voters' verdicts, each at its power in
// the commit being applied (powers; 0 for a validator no longer in the set),
// and lowers the powers of its counted verdicts (the fee's payees) to the
// same commit where they fell (never raising one). Summing the powers each voter had when its verdict was
// recorded counted stake twice: a coalition below 1/3 voted INVALID through
// one validator, redelegated (at once, for free) to another and voted again
// with the same stake, and an honest provider was slashed for fraud
// (TestAttackRedelegatedStakeCountsTwice). In one commit every token counts
// once. An abort standing in its grace counts each voter at its power in
// the quorum's commit (standsInGrace), neither raised nor lowered by stake
// moved since. The work is the job's voters, at most the validator set.
func (k Keeper) retally(ctx context.Context, job types.Job, powers map[string]int64) (underCheck, error) {
	tally, err := k.Tallies.Get(ctx, job.Id)
	if err != nil {
		return underCheck{}, err
	}
	tally.ValidPower, tally.InvalidPower, tally.UnavailablePower = 0, 0, 0
	tally.InputsAvailablePower, tally.InputsUnavailablePower, tally.DatasetUnavailablePower = 0, 0, 0
	capped := standsInGrace(job, tally)
	err = k.Voters.Walk(ctx, collections.NewPrefixedPairRange[uint64, []byte](job.Id), func(key collections.Pair[uint64, []byte], verdict int32) (bool, error) {
		if kind, ok := verdictKinds[types.Verdict(verdict)]; ok && kind.state == job.State {
			p := powers[string(key.K2())]
			if capped {
				// The quorum's commit's power, whatever stake moved since:
				// every token counts once, in that commit.
				p = powerIn(tally.QuorumPowers, key.K2())
			}
			*kind.count(&tally) += p
		}
		return false, nil
	})
	if err != nil {
		return underCheck{}, err
	}
	if err := k.Tallies.Set(ctx, job.Id, tally); err != nil {
		return underCheck{}, err
	}
	if hasGrace(job) {
		if err := k.lowerCounted(ctx, job.Id, powers); err != nil {
			return underCheck{}, err
		}
	}
	return underCheck{job, tally}, nil
}

// underCheck is a job under check and its tally.
type underCheck struct {
	job   types.Job
	tally types.VerificationTally
}

// decide finalizes a job under check whose tally crosses a threshold, in a
// cache context (written only on success; a failure is logged and leaves
// the job under check for a later verdict or its deadline, its tally kept).
// A panic is such a failure too (modkit.RunIsolated): the PreBlocker would
// otherwise drop every verdict of the block for one job's bug
// (TestOneJobsPanicKeepsTheBlocksOtherVerdicts).
func (k Keeper) decide(ctx context.Context, totalPower int64, powers map[string]int64, c underCheck) {
	var finalize func(context.Context, Keeper) error
	switch {
	case c.job.State == types.JobState_JOB_STATE_ABORTING:
		finalize = abortOutcome(c.job, c.tally, totalPower, powers)
	case c.tally.QuorumTotalPower > 0:
		return // reached its quorum earlier: decided at its verification_end
	case hasGrace(c.job) && quorumOutcome(c.tally, totalPower) != types.Verdict_VERDICT_UNSPECIFIED:
		finalize = func(ctx context.Context, k Keeper) error { return k.awaitGrace(ctx, c, totalPower, powers) }
	default:
		finalize = verificationOutcome(c.job, c.tally, totalPower)
	}
	if finalize == nil {
		return
	}
	if err := modkit.RunIsolated(ctx, func(cctx context.Context) error { return finalize(cctx, k) }); err != nil {
		k.Logger(ctx).Error("verification outcome not applied; the job stays under check", "job_id", c.job.Id, "state", c.job.State.String(), "err", err)
	}
}

// recordVerdict records one validator's verdict on its job, once per
// validator and job, if the verdict's kind is about the job's state (the
// job's tally is summed again from its voters, retally), and counts it for
// a verification fee (countVerdict). cached is the job as an earlier
// verdict of the block read it (seen). It returns the job and whether the
// verdict was recorded.
func (k Keeper) recordVerdict(ctx context.Context, v types.ValidatorVerdicts, jv types.JobVerdict, cached types.Job, seen bool) (job types.Job, recorded bool, err error) {
	kind, known := verdictKinds[jv.Verdict]
	if !known {
		k.Logger(ctx).Error("verdict skipped: unknown verdict", "job_id", jv.JobId, "verdict", int32(jv.Verdict))
		return types.Job{}, false, nil
	}
	// A job under check has a tally: look that up (and the voter record)
	// before reading the whole job, so that verdicts on unknown, closed or
	// already-voted jobs cost two small reads.
	if !seen {
		if has, err := k.Tallies.Has(ctx, jv.JobId); err != nil || !has {
			if err == nil {
				k.Logger(ctx).Debug("verdict skipped: no job under check", "job_id", jv.JobId)
			}
			return types.Job{}, false, err
		}
	}
	key := collections.Join(jv.JobId, v.ConsAddress)
	if voted, err := k.Voters.Has(ctx, key); err != nil || voted {
		return types.Job{}, false, err
	}
	job = cached
	if !seen {
		if job, err = k.Jobs.Get(ctx, jv.JobId); err != nil {
			return job, false, ignoreNotFound(err)
		}
	}
	if job.State != kind.state {
		// The other check's kind (INPUTS_* on a VERIFYING job, VALID,
		// INVALID or UNAVAILABLE on an ABORTING one): never counted, and
		// never sent by an honest sidecar (a job under check does not move
		// from one check to the other). Its voter is marked, its verdict
		// kept as sent, so that resending it every block costs the two
		// small reads above and not the job's
		// (TestAttackWrongKindVerdictReadsTheJobEveryBlock); retally and the
		// fee count only verdicts of the job's kind.
		return job, false, k.Voters.Set(ctx, key, int32(jv.Verdict))
	}
	if err := k.Voters.Set(ctx, key, int32(jv.Verdict)); err != nil {
		return job, false, err
	}
	counted := v
	if hasGrace(job) {
		if counted.Power, err = k.gracePower(ctx, job.Id, v); err != nil {
			return job, false, err
		}
	}
	if _, err := k.countVerdict(ctx, job, counted, jv.Verdict); err != nil {
		return job, false, err
	}
	err = modkit.EmitTypedEvent(ctx, &types.EventVerdictRecorded{
		JobId: jv.JobId, Validator: sdk.ConsAddress(v.ConsAddress).String(), Power: v.Power, Verdict: jv.Verdict.String(),
	})
	return job, err == nil, err
}

// verificationOutcome is what a VERIFYING job's tally decides, if anything
// yet: ≥ 2/3 VALID settles; > 1/3 INVALID (a chunk whose proof verifies
// against the root but whose bytes differ from the recomputation) is fraud;
// > 1/3 UNAVAILABLE (sidecars that failed to fetch across
// unavailable_span_blocks) is withholding, which costs the job's collateral,
// not the fraud slash. Anything else waits for the window's end (outcomes.go).
// A job's verification fee goes to the validators whose verdict is the
// outcome, each by its share of totalPower (payVerificationFee), before the
// job closes.
func verificationOutcome(job types.Job, t types.VerificationTally, totalPower int64) func(context.Context, Keeper) error {
	return decideAs(job, quorumOutcome(t, totalPower), totalPower)
}

// decideAs is the decision of a VERIFYING job for outcome (nil when it is no
// outcome): the verification fee first, to the validators whose counted
// verdict is outcome (the close then refunds the requester the rest of the
// escrow), then the close: settled, fraud or withheld.
func decideAs(job types.Job, outcome types.Verdict, totalPower int64) func(context.Context, Keeper) error {
	var close func(Keeper, context.Context, types.Job) error
	switch outcome {
	case types.Verdict_VERDICT_VALID:
		close = func(k Keeper, ctx context.Context, j types.Job) error { return k.settle(ctx, j, false) }
	case types.Verdict_VERDICT_INVALID:
		close = Keeper.failFraud
	case types.Verdict_VERDICT_UNAVAILABLE:
		close = Keeper.withhold
	default:
		return nil
	}
	return func(ctx context.Context, k Keeper) error {
		j, err := k.payVerificationFee(ctx, job, outcome, totalPower)
		if err != nil {
			return err
		}
		return close(k, ctx, j)
	}
}

// quorumOutcome is the verdict a VERIFYING job's tally has a quorum for
// (see verificationOutcome), or VERDICT_UNSPECIFIED while it has none.
func quorumOutcome(t types.VerificationTally, totalPower int64) types.Verdict {
	switch {
	case 3*t.ValidPower >= 2*totalPower:
		return types.Verdict_VERDICT_VALID
	case 3*t.InvalidPower > totalPower:
		return types.Verdict_VERDICT_INVALID
	case 3*t.UnavailablePower > totalPower:
		return types.Verdict_VERDICT_UNAVAILABLE
	}
	return types.Verdict_VERDICT_UNSPECIFIED
}

// clearTally deletes a job's tally and voter records (bounded by the validator count).
func (k Keeper) clearTally(ctx context.Context, jobID uint64) error {
	if err := k.Tallies.Remove(ctx, jobID); err != nil {
		return err
	}
	return k.Voters.Clear(ctx, collections.NewPrefixedPairRange[uint64, []byte](jobID))
}
