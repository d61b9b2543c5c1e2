package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackValidatorsLockAbortBeforeDatasetQuorum. The owner of an mlp
// job's inputs takes its dataset down after award; the honest winner aborts.
// Validators friendly to the owner, 9 of 30 (below 1/3), vote
// INPUTS_UNAVAILABLE at once (a lie: it is the dataset that is gone, and a
// verdict of that kind is free). The honest validators, 21 of 30, all find
// the dataset unavailable (DATASET_UNAVAILABLE), the first of them (3 of 30)
// a block before the rest. abortOutcome sums INPUTS_UNAVAILABLE and
// DATASET_UNAVAILABLE for "the abort stands" but reads DATASET_UNAVAILABLE
// alone for the dataset-fee refund, and decides at the first block the sum
// crosses 1/3: 9 + 3 = 12 > 10 with 3 DATASET_UNAVAILABLE, so the abort
// closes with the dataset fee paid to the owner that served nothing, and the
// 18 honest DATASET_UNAVAILABLE votes of the next block find it closed.
// Without the coalition's 9 the honest votes decide the refund (21 > 10).
// Honest outcome: the requester is out only its creation fee, the owner
// gets nothing.
func TestAttackValidatorsLockAbortBeforeDatasetQuorum(t *testing.T) {
	const bond = 1_000_000
	s, req, prov, owner, l, id := abortedJob(t, attackParams(), bond)

	const (
		IU   = types.Verdict_VERDICT_INPUTS_UNAVAILABLE
		DU   = types.Verdict_VERDICT_DATASET_UNAVAILABLE
		none = types.Verdict_VERDICT_UNSPECIFIED
	)
	// Each block's commit lists the whole set: the owner's friends h and i
	// (9 of 30), the first honest sidecar k (3), the other honest ones m
	// and n (18).
	commit := func(h, k, m types.Verdict) {
		t.Helper()
		votes := []types.ValidatorVerdicts{vote(id, 'h', 5, h), vote(id, 'i', 4, h), vote(id, 'k', 3, k), vote(id, 'm', 9, m), vote(id, 'n', 9, m)}
		must(t, s.applyVerdicts(30, votes))
		s.inv()
	}
	commit(IU, none, none)
	s.next(1)
	commit(none, DU, none)
	s.exportValid() // an abort standing in its grace is a valid genesis
	s.next(1)
	if s.job(id).State == types.JobState_JOB_STATE_ABORTING {
		commit(none, none, DU)
	}
	for s.job(id).State == types.JobState_JOB_STATE_ABORTING && s.height() <= s.job(id).VerificationEnd {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
	s.bondOf(prov, bond, 0, 0) // the honest winner is whole
	l.delta("provider's account", prov, 0)
	l.delta("owner whose dataset 21 of 30 found gone", owner, 0)
	l.delta("requester", req, -creationFee)
}

// TestStandingAbortClosesAtItsGraceEnd: an abort that stands (12 of 30 find
// the inputs unavailable: 9 the model, 3 the dataset) with the dataset
// question open waits verdict_grace_blocks; when no more verdicts come (the
// other validators offline), it closes as standing at the grace's end: the
// dataset fee the owner's (3 of 30 is not more than 1/3), and, as neither
// input was found unavailable by more than 1/3 (9 of 30 is not either), the
// model owner's bond is released and the winner, which aborted, forfeits as
// much of its collateral to the requester, as on an abort without a quorum
// (abortStands; TestAttackDatasetServerSplitsAbortCheckToCollectModelBond):
// the requester out its creation fee. With verdict_grace_blocks 0 it closes
// at once, the same way.
func TestStandingAbortClosesAtItsGraceEnd(t *testing.T) {
	for _, grace := range []uint64{types.DefaultVerdictGraceBlocks, 0} {
		const bond = 1_000_000
		p := attackParams()
		p.VerdictGraceBlocks = grace
		s, req, prov, owner, l, id := abortedJob(t, p, bond)
		s.verdicts(id, types.Verdict_VERDICT_INPUTS_UNAVAILABLE, 'h', 5, 4)
		s.verdicts(id, types.Verdict_VERDICT_DATASET_UNAVAILABLE, 'k', 3)
		if grace > 0 {
			s.wantState(id, types.JobState_JOB_STATE_ABORTING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
			if tl := s.tally(id); tl.QuorumTotalPower != 30 || tl.QuorumOutcome != types.Verdict_VERDICT_INPUTS_UNAVAILABLE {
				t.Fatalf("grace %d: tally %+v, want the standing recorded at 30 power", grace, tl)
			}
			s.nextPast(id)
		}
		s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
		s.bondOf(prov, bond-datasetFee, 0, 0)
		l.delta("provider's account", prov, 0)
		// The dataset fee is the owner's, its model bond whole; the winner's
		// forfeit pays as much to the requester.
		l.delta("owner", owner, datasetFee-marketFee(datasetFee))
		s.modelBondOf(owner, modelBondStake, 0)
		l.delta("requester", req, -creationFee)
	}
}
