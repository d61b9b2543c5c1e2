package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// abortSetup: an mlp job of req (max_price 10000, collateral 20000) over
// inputs owned by owner, won by prov, which then aborts it.
func (s *suite) abortSetup(req, prov, owner sdk.AccAddress) uint64 {
	s.t.Helper()
	w := s.mlpInputs(owner)
	id := s.mlpJob(req, w, 10_000)
	s.win(prov, id, 10_000)
	_, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: prov.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE})
	if err != nil {
		s.t.Fatalf("abort: %v", err)
	}
	s.inv()
	s.wantState(id, types.JobState_JOB_STATE_ABORTING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	return id
}

// abortedJob has acc(1) (bond) win an mlp job of acc(0) over acc(2)'s inputs
// and abort it (abortSetup), under params p; it returns the suite, the
// three parties, a ledger of them taken before the job, and the job.
func abortedJob(t *testing.T, p types.Params, bond int64) (*suite, sdk.AccAddress, sdk.AccAddress, sdk.AccAddress, ledger, uint64) {
	t.Helper()
	s := newSuite(t)
	s.setParams(p)
	req, prov, owner := s.acc(0), s.acc(1), s.acc(2)
	s.registerAny(prov, bond)
	l := s.ledger(req, prov, owner)
	return s, req, prov, owner, l, s.abortSetup(req, prov, owner)
}

// TestAttackInputsVanishAfterAward (issue 14, attack 3). A winner whose job's
// model or dataset vanished after award — say the requester named its own
// dataset and stopped serving it — had no way out but the timeout penalty.
// Now it aborts (MsgAbortJob), and the validators' sidecars check the inputs
// through the vote-extension path:
//   - unavailable (> 1/3 of the power): the winner's collateral is released
//     with no penalty, the requester refunded its escrow but not the creation
//     fee, the model owner paid nothing; the dataset fee, which the winner's
//     access made the owner's, is refunded only when > 1/3 found the dataset
//     itself unavailable (DATASET_UNAVAILABLE): the withholding owner (here
//     the requester itself) loses the fees and gains nothing;
//   - available (≥ 2/3): the abort was false, and is a timeout;
//   - no quorum by the end: the abort stands, the dataset fee the owner's
//     and the winner forfeits as much of its collateral to the requester;
//   - a job without inputs (gemm) cannot lack them: its abort is a timeout at
//     once; and a verdict of the wrong kind (VALID from a sidecar that does
//     not know aborts) does not count.
func TestAttackInputsVanishAfterAward(t *testing.T) {
	const bond = 1_000_000
	t.Run("unavailable: the abort stands", func(t *testing.T) {
		s := newSuite(t)
		s.setParams(attackParams())
		req, prov := s.acc(0), s.acc(1)
		s.registerAny(prov, bond)
		l := s.ledger(req, prov)
		id := s.abortSetup(req, prov, req)
		s.bondOf(prov, bond, 20_000, 1)
		s.verdicts(id, types.Verdict_VERDICT_VALID, 'a', 20) // not an abort verdict: ignored
		s.wantState(id, types.JobState_JOB_STATE_ABORTING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
		s.verdicts(id, types.Verdict_VERDICT_INPUTS_UNAVAILABLE, 'k', 11)
		// It stands; whether the dataset is gone (which refunds its fee)
		// waits for the verdicts of the grace (abortOutcome).
		s.wantState(id, types.JobState_JOB_STATE_ABORTING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
		if j := s.job(id); j.VerificationEnd != s.height()+int64(s.params().VerdictGraceBlocks) {
			t.Fatalf("the standing abort ends at %d, want the grace's end %d", j.VerificationEnd, s.height()+int64(s.params().VerdictGraceBlocks))
		}
		s.nextPast(id)
		s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
		s.bondOf(prov, bond, 0, 0) // the honest provider is whole
		l.delta("provider's account", prov, 0)
		l.delta("requester (and owner of the inputs)", req, -creationFee)
		l.delta("reward pool", poolAddr(), creationFee)
		l.delta("module account", moduleAddr(), 0)
	})
	t.Run("available: the abort is a timeout", func(t *testing.T) {
		s, req, prov, owner, l, id := abortedJob(t, attackParams(), bond)
		s.verdicts(id, types.Verdict_VERDICT_INPUTS_AVAILABLE, 'a', 10, 10)
		s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
		s.bondOf(prov, bond-20_000, 0, 0)
		// Its creation and dataset fees back as compensation, nothing more;
		// the owner, whose data the winner was granted, is paid.
		l.delta("requester", req, 0)
		l.delta("owner of the inputs", owner, datasetFee-marketFee(datasetFee))
		l.delta("reward pool", poolAddr(), 20_000-datasetFee+marketFee(datasetFee))
	})
	t.Run("dataset unavailable: the dataset fee is refunded too", func(t *testing.T) {
		s, req, prov, owner, l, id := abortedJob(t, attackParams(), bond)
		s.verdicts(id, types.Verdict_VERDICT_DATASET_UNAVAILABLE, 'k', 11)
		s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
		s.bondOf(prov, bond, 0, 0)
		l.delta("provider's account", prov, 0)
		l.delta("requester", req, -creationFee)
		l.delta("owner that served nothing", owner, 0)
		l.delta("module account", moduleAddr(), 0)
	})
	t.Run("no quorum: the abort stands", func(t *testing.T) {
		s, req, prov, owner, l, id := abortedJob(t, attackParams(), bond)
		s.verdicts(id, types.Verdict_VERDICT_INPUTS_AVAILABLE, 'a', 10) // 1/3: no quorum
		for s.height() <= s.job(id).VerificationEnd {
			s.next(1)
		}
		s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
		// Nobody could show the inputs there or not: as on an inconclusive
		// verification, the owner keeps the fee for the rows the winner was
		// granted, and the winner, which aborted, forfeits as much of its
		// collateral to the requester.
		s.bondOf(prov, bond-datasetFee, 0, 0)
		l.delta("provider's account", prov, 0)
		l.delta("requester", req, -creationFee)
		l.delta("owner of the inputs", owner, datasetFee-marketFee(datasetFee))
	})
	t.Run("a job without inputs times out at once", func(t *testing.T) {
		s := newSuite(t)
		s.setParams(attackParams())
		req, prov := s.acc(0), s.acc(1)
		s.registerAny(prov, bond)
		l := s.ledger(req, prov)
		id := s.create(req, 10_000)
		s.win(prov, id, 10_000)
		other := s.acc(2)
		before := s.snap(req, prov, other)
		_, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: other.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE})
		wantErr(t, err, types.ErrNotWinner)
		s.unchanged(before, req, prov, other)
		_, err = s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: prov.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE})
		if err != nil {
			t.Fatal(err)
		}
		s.inv()
		s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
		s.bondOf(prov, bond-20_000, 0, 0)
		l.delta("requester", req, 0)
	})
}
