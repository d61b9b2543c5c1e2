package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// A job with a verification fee pays it to the validators whose counted
// verdict is the outcome (assurance.go). While the job is under check its
// counted verdicts are entries of Counted, one a verdict, keyed by the
// height that counted it and its validator: kept in
// the job's record, the list grew with every verdict and the whole record
// was written again at each, so verdicts arriving one a block wrote
// O(set²) bytes (228,311 gas a validator on an 8.6 KiB record at 100
// validators; TestVerdictWorkIsCharged). When the job closes, its counted
// verdicts move into its record (Job.counted_verdicts) in one write, where
// explorers read who was paid.

// countedKey is a counted verdict's key: its job, the height that counted
// it, and its validator's consensus address (a validator counts once per
// job: the tally's Voters record guarantees it).
type countedKey = collections.Triple[uint64, int64, []byte]

// countedRange is the range of a job's counted verdicts, in the order they
// were counted.
func countedRange(id uint64) collections.Ranger[countedKey] {
	return collections.NewPrefixedTripleRange[uint64, int64, []byte](id)
}

// countVerdict counts a verdict on a VERIFYING job with a verification fee,
// so that the fee can be paid by power when the job closes. It reports
// whether the verdict was counted.
func (k Keeper) countVerdict(ctx context.Context, job types.Job, v types.ValidatorVerdicts, verdict types.Verdict) (bool, error) {
	if job.State != types.JobState_JOB_STATE_VERIFYING || !hasGrace(job) {
		return false, nil // an ABORTING job's input check is not the verification bought
	}
	if v.Power <= 0 {
		return false, nil // joined the set after the quorum (gracePower)
	}
	key := collections.Join3(job.Id, sdk.UnwrapSDKContext(ctx).BlockHeight(), v.ConsAddress)
	return true, k.Counted.Set(ctx, key, types.CountedVerdict{Validator: v.ConsAddress, Power: v.Power, Verdict: verdict})
}

// countedOf lists a job's counted verdicts in the order they were counted
// (within a block, by consensus address).
// The work is the job's counted verdicts, at most the validator set.
func (k Keeper) countedOf(ctx context.Context, id uint64) ([]types.CountedVerdict, error) {
	var out []types.CountedVerdict
	err := k.Counted.Walk(ctx, countedRange(id), func(_ countedKey, cv types.CountedVerdict) (bool, error) {
		out = append(out, cv)
		return false, nil
	})
	return out, err
}

// lowerCounted lowers the powers of a job's counted verdicts to their
// validators' powers in the commit being applied (powers), never raising
// one, and drops those of validators gone from the set: stake that left a
// voter is not paid twice, and stake bonded after its verdict earns nothing
// of this job's fee (TestAttackPowerBoughtAfterTheQuorumDilutesHonestValidators).
// Only a changed entry is written.
func (k Keeper) lowerCounted(ctx context.Context, id uint64, powers map[string]int64) error {
	type change struct {
		key countedKey
		cv  types.CountedVerdict
	}
	var changes []change
	err := k.Counted.Walk(ctx, countedRange(id), func(key countedKey, cv types.CountedVerdict) (bool, error) {
		if p := powers[string(cv.Validator)]; p < cv.Power {
			cv.Power = max(p, 0)
			changes = append(changes, change{key, cv})
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.cv.Power == 0 { // a validator gone from the set is not paid
			err = k.Counted.Remove(ctx, c.key)
		} else {
			err = k.Counted.Set(ctx, c.key, c.cv)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// takeCounted moves a closing job's counted verdicts into its record (a
// job without a fee has none: no iterator is opened for it).
func (k Keeper) takeCounted(ctx context.Context, job *types.Job) error {
	if !hasGrace(*job) {
		return nil
	}
	counted, err := k.countedOf(ctx, job.Id)
	if err != nil || len(counted) == 0 {
		return err
	}
	job.CountedVerdicts = append(job.CountedVerdicts, counted...)
	return k.Counted.Clear(ctx, countedRange(job.Id))
}

// putCounted files the counted verdicts a job under check carries in its
// record (a genesis job, or a record from before version 11) as Counted
// entries and returns the job without them. Their heights are not known:
// they are filed under heights −n … −1, in their list's order, before any
// verdict counted from then on.
func (k Keeper) putCounted(ctx context.Context, job types.Job) (types.Job, error) {
	if !job.State.UnderCheck() || !hasGrace(job) || len(job.CountedVerdicts) == 0 {
		return job, nil // what withCounted exports again
	}
	n := int64(len(job.CountedVerdicts))
	for i, cv := range job.CountedVerdicts {
		if err := k.Counted.Set(ctx, collections.Join3(job.Id, int64(i)-n, cv.Validator), cv); err != nil {
			return job, err
		}
	}
	job.CountedVerdicts = nil
	return job, nil
}

// withCounted is a job as queries and exports show it: one under check
// with its counted verdicts so far in its record.
func (k Keeper) withCounted(ctx context.Context, job types.Job) (types.Job, error) {
	if !job.State.UnderCheck() || !hasGrace(job) {
		return job, nil
	}
	counted, err := k.countedOf(ctx, job.Id)
	job.CountedVerdicts = append(job.CountedVerdicts[:len(job.CountedVerdicts):len(job.CountedVerdicts)], counted...)
	return job, err
}
