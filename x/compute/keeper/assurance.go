package keeper

import (
	"bytes"
	"context"
	"sort"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// Buyer-chosen assurance (issue 15, item 5; README "Buyer-chosen
// assurance"). A job that buys assurance escrows verification_fee_per_sample
// × samples_bought with its max_price; every result is verified on that many
// chunks; when the job closes, the fee goes to the validators whose verdicts
// decided the verification (by power), or back to the requester when no
// verdict decided anything.

// assuranceOf is the assurance a MsgCreateJob asks for (none when absent).
func assuranceOf(msg *types.MsgCreateJob) types.Assurance {
	if msg.Assurance == nil {
		return types.Assurance{}
	}
	return *msg.Assurance
}

// withAssurance records on a new job what its assurance buys and escrows
// the fee with it.
func withAssurance(job *types.Job, a types.Assurance, bought types.AssuranceTerms) {
	job.Assurance = a
	job.SamplesBought = bought.Samples
	job.VerificationFee = bought.Fee
	job.DetectionBps = bought.DetectionBps
	job.VerificationFeePaid = sdk.NewCoins()
	job.Escrow = job.Escrow.Add(bought.Fee...)
}

// samplesFor is how many chunks a job's verification checks: what its
// assurance bought, else samples_per_job.
func samplesFor(job types.Job, params types.Params) uint32 {
	if job.SamplesBought > 0 {
		return uint32(min(job.SamplesBought, types.MaxAssuranceSamples))
	}
	return params.SamplesPerJob
}

// hasGrace says whether a VERIFYING job's decision waits verdict_grace_blocks
// after its quorum: a job whose verification fee the verdicts earn (bought
// assurance). Without a fee, who is counted changes nothing, and the job is
// decided at once.
func hasGrace(job types.Job) bool {
	return job.SamplesBought > 0 && !job.VerificationFee.IsZero()
}

// awaitGrace is the decision of a job with a fee whose verdicts have just
// reached a quorum: not yet. It records the quorum's outcome and the set's
// total power in the tally and brings verification_end forward to
// verdict_grace_blocks from now (never later than it was), where
// endVerification applies that outcome; verdicts included until then still
// count, and those that are the outcome are paid. So a proposer that leaves
// an honest validator's verdict out of the block that reaches the quorum
// (any ≥ 2/3 of the power is a valid injection) only delays it to one of the
// next blocks, whose proposers include it unless every one of them leaves it
// out too; without the grace the validator's share was burned
// (TestAttackProposerLeavesAValidatorOutOfTheQuorumBlock). The grace changes
// who is paid, never what is decided: power that joins the set during it can
// neither dilute nor overturn the quorum (TestAttackPowerJoinsDuringTheGrace).
// With verdict_grace_blocks 0 the job is decided now.
func (k Keeper) awaitGrace(ctx context.Context, c underCheck, totalPower int64, powers map[string]int64) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if params.VerdictGraceBlocks == 0 {
		return verificationOutcome(c.job, c.tally, totalPower)(ctx, k)
	}
	c.tally.QuorumTotalPower, c.tally.QuorumOutcome = totalPower, quorumOutcome(c.tally, totalPower)
	if c.tally.QuorumAbsent, err = k.notYetVoted(ctx, c.job.Id, powers); err != nil {
		return err
	}
	c.tally.QuorumAbsentRecorded = true
	return k.startGrace(ctx, c.job, c.tally, params.VerdictGraceBlocks)
}

// startGrace stores tally t, its quorum recorded, and brings job's
// verification_end forward to grace blocks from now (never later than it
// was), where the job is decided (a verification's, awaitGrace; a standing
// abort's, awaitAbortGrace).
func (k Keeper) startGrace(ctx context.Context, job types.Job, t types.VerificationTally, grace uint64) error {
	if err := k.Tallies.Set(ctx, job.Id, t); err != nil {
		return err
	}
	if end := sdk.UnwrapSDKContext(ctx).BlockHeight() + int64(grace); end < job.VerificationEnd {
		var err error
		if job, err = k.moveVerificationEnd(ctx, job, end); err != nil {
			return err
		}
	}
	return modkit.EmitTypedEvent(ctx, &types.EventVerificationQuorum{
		JobId: job.Id, Outcome: t.QuorumOutcome.String(), DecideHeight: job.VerificationEnd,
	})
}

// notYetVoted lists, in address order, the validators of the commit that
// brought job id to its quorum (powers) that have not voted on it, with
// their power in that commit: what each may be paid for a verdict in the
// grace (gracePower). The work is the job's voters and the set.
func (k Keeper) notYetVoted(ctx context.Context, id uint64, powers map[string]int64) ([]types.ValidatorPower, error) {
	voted := make(map[string]bool, len(powers))
	err := k.Voters.Walk(ctx, collections.NewPrefixedPairRange[uint64, []byte](id), func(key collections.Pair[uint64, []byte], _ int32) (bool, error) {
		voted[string(key.K2())] = true
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return validatorPowers(powers, func(addr string) bool { return !voted[addr] }), nil
}

// validatorPowers lists, in address order, the validators of a commit
// (powers) that keep selects, with their powers.
func validatorPowers(powers map[string]int64, keep func(addr string) bool) []types.ValidatorPower {
	out := make([]types.ValidatorPower, 0, len(powers))
	for addr, p := range powers {
		if keep(addr) {
			out = append(out, types.ValidatorPower{Validator: []byte(addr), Power: p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Validator, out[j].Validator) < 0 })
	return out
}

// powerIn is a validator's power in a list in address order (0: not in it).
func powerIn(list []types.ValidatorPower, cons []byte) int64 {
	i := sort.Search(len(list), func(i int) bool { return bytes.Compare(list[i].Validator, cons) >= 0 })
	if i < len(list) && bytes.Equal(list[i].Validator, cons) {
		return list[i].Power
	}
	return 0
}

// gracePower is the power at which a verdict v on job id (one with a fee)
// is counted for the fee: its power in this commit, and, once the job has
// reached its quorum, at most its power in the quorum's commit (0 for a
// validator that was not in it). Stake bonded after the quorum earns nothing
// of the job's fee and cannot dilute the shares of those that decided it
// (TestAttackPowerBoughtAfterTheQuorumDilutesHonestValidators).
func (k Keeper) gracePower(ctx context.Context, id uint64, v types.ValidatorVerdicts) (int64, error) {
	t, err := k.Tallies.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	if t.QuorumTotalPower == 0 || !t.QuorumAbsentRecorded {
		// No quorum yet, or one recorded before quorum_absent existed (a
		// job in its grace across the upgrade): the verdict's power, the
		// powers paid capped at the quorum's total (payVerificationFee;
		// TestAttackUpgradeMidGraceBurnsTheLeftOutValidatorsShare).
		return v.Power, nil
	}
	// An empty list is the usual case (every validator voted in the block of
	// the quorum), not "none recorded": a validator not listed was not in
	// the quorum's commit, or had voted (TestAttackNewcomerPaidWhenEveryoneVotedInTheQuorumBlock).
	return min(v.Power, powerIn(t.QuorumAbsent, v.ConsAddress)), nil
}

// payVerificationFee pays a closing job's verification fee to the
// validators whose counted verdict is outcome (the verdict that decided the
// verification): each floor(fee × power / totalPower) to its operator's
// account, totalPower being the power of the set whose votes decided it. A
// validator's pay is thus fixed by its own power, whoever else was counted:
// a proposer that leaves other validators' votes out of the block that
// decides a job (any set of ≥ 2/3 of the power is a valid injection) gains
// nothing by it. The powers paid, in the order the verdicts were counted,
// add up to at most totalPower: a verdict counted after they reach it (a
// validator that joined the set, or grew, after the decision) is paid only
// what is left, so no later stake dilutes the earlier voters' shares
// (TestAttackPowerBoughtAfterTheQuorumDilutesHonestValidators; retally never
// raises a counted power). The shares of power not counted for the outcome
// (absent, late, left out, or voting otherwise) and the rounding dust are
// burned: paid to no one, so that no party (a proposer, or a requester
// colluding with one) gains by keeping verdicts out. The share of a
// validator whose operator cannot be found or paid goes to the reward pool.
// With no verdict for the outcome nothing is paid and the fee stays in the
// escrow (refunded with it). It returns the job with verification_fee_paid
// set: the part of the escrow that left for the validators, the pool and
// the burn.
func (k Keeper) payVerificationFee(ctx context.Context, job types.Job, outcome types.Verdict, totalPower int64) (types.Job, error) {
	if totalPower <= 0 || job.VerificationFee.IsZero() {
		return job, nil
	}
	verdicts, err := k.countedOf(ctx, job.Id)
	if err != nil {
		return job, err
	}
	var counted int64
	paid := sdk.NewCoins()
	for _, cv := range verdicts {
		if cv.Verdict != outcome || counted >= totalPower {
			continue
		}
		cv.Power = min(cv.Power, totalPower-counted)
		if cv.Power <= 0 {
			continue
		}
		counted += cv.Power
		share := feeShare(job.VerificationFee, cv.Power, totalPower)
		if err := k.payValidator(ctx, job.Id, cv, share); err != nil {
			return job, err
		}
		paid = paid.Add(share...)
	}
	if counted == 0 {
		return job, nil
	}
	if burn := job.VerificationFee.Sub(paid...); !burn.IsZero() {
		if err := k.BankKeeper.BurnCoins(ctx, types.ModuleName, burn); err != nil {
			return job, err
		}
		if err := k.addFeesBurned(ctx, burn); err != nil {
			return job, err
		}
		if err := modkit.EmitTypedEvent(ctx, &types.EventVerificationFeeBurned{
			JobId: job.Id, Amount: burn.String(), CountedPower: counted, TotalPower: totalPower,
		}); err != nil {
			return job, err
		}
	}
	job.VerificationFeePaid = job.VerificationFee
	return job, nil
}

// feeShare is floor(fee × power / total), denom by denom.
func feeShare(fee sdk.Coins, power, total int64) sdk.Coins {
	out := sdk.NewCoins()
	for _, c := range fee {
		out = out.Add(sdk.NewCoin(c.Denom, c.Amount.Mul(math.NewInt(power)).Quo(math.NewInt(total))))
	}
	return out
}

// payValidator pays one validator's share of a verification fee to its
// operator's account (payOrRedirect: a validator that cannot be found, or
// whose account refuses coins, leaves its share to the reward pool).
func (k Keeper) payValidator(ctx context.Context, jobID uint64, cv types.CountedVerdict, share sdk.Coins) error {
	var operator string
	err := k.payOrRedirect(ctx, jobID, "verification_fee", share, func(ctx context.Context) error {
		if k.StakingKeeper == nil {
			return types.ErrInvalidRequest.Wrap("no validator keeper wired")
		}
		val, err := k.StakingKeeper.GetValidatorByConsAddr(ctx, sdk.ConsAddress(cv.Validator))
		if err != nil {
			return err
		}
		bz, err := k.StakingKeeper.ValidatorAddressCodec().StringToBytes(val.GetOperator())
		if err != nil {
			return err
		}
		if err := k.BankKeeper.SendCoinsFromModuleToAccount(ctx, types.ModuleName, sdk.AccAddress(bz), share); err != nil {
			return err
		}
		operator = val.GetOperator()
		return nil
	})
	if err != nil || operator == "" {
		return err
	}
	return modkit.EmitTypedEvent(ctx, &types.EventVerificationFeePaid{
		JobId: jobID, Validator: operator, Power: cv.Power, Amount: share.String(),
	})
}
