package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// Requester-side attacks: an honest requester against a
// hostile winner, dataset owner or both.

// reqWinAsProvider has p commit and reveal price on job id and waits until the job
// is ASSIGNED. It returns false, leaving the job alone, when the commitment
// is refused (a fix that keeps p off the job defends the attack).
func reqWinAsProvider(s *suite, p sdk.AccAddress, id uint64, price int64) bool {
	s.t.Helper()
	_, err := s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{
		Provider: p.String(), JobId: id, Commitment: types.BidCommitment(id, p.String(), coin(price), salt(p)),
	})
	if err != nil {
		s.t.Logf("commitment of %s refused: %v", p, err)
		return false
	}
	s.inv()
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	if err := s.reveal(p, id, price); err != nil {
		s.t.Fatal(err)
	}
	for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	return true
}

// TestAttackRequesterDatasetFeeTakenByOwnerWinnerAbortWithoutQuorum. The
// owner of a dataset registers a provider, bids on an honest requester's mlp
// job over its own dataset, wins, and aborts at once claiming its inputs
// unavailable. It serves its dataset to some validators' input checks and
// not to others (the server tells their signed requests apart, README "What
// remains"), so that neither 2/3 INPUTS_AVAILABLE nor 1/3 DATASET_UNAVAILABLE
// is reached: 19 and 10 of 30. With no quorum the abort stood and
// closeWithRefund paid the owed dataset fee to the owner — the winner
// itself. The owner-winner did no work, forfeited nothing, and was paid the
// fee out of the honest requester's escrow. Now the owner keeps the fee
// (the winner was granted the rows) and the winner forfeits as much of its
// collateral to the requester (endAbort → forfeitOwnerFees): the owner
// nets nothing, the requester is out only its creation fee.
func TestAttackRequesterDatasetFeeTakenByOwnerWinnerAbortWithoutQuorum(t *testing.T) {
	const bond = 1_000_000
	s := newSuite(t)
	s.setParams(attackParams())
	req, owner := s.acc(0), s.acc(1)
	w := s.mlpInputs(owner)
	s.registerAny(owner, bond) // the dataset's owner is also a provider
	l := s.ledger(req, owner)
	id := s.mlpJob(req, w, 10_000)
	if !reqWinAsProvider(s, owner, id, 10_000) {
		return // the owner may not bid on a job over its own dataset: defended
	}
	if _, err := s.ms.AbortJob(s.ta.Ctx, &types.MsgAbortJob{Provider: owner.String(), JobId: id, Reason: types.AbortReason_ABORT_REASON_INPUTS_UNAVAILABLE}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.verdicts(id, types.Verdict_VERDICT_INPUTS_AVAILABLE, 'a', 19)    // < 2/3
	s.verdicts(id, types.Verdict_VERDICT_DATASET_UNAVAILABLE, 'k', 10) // not > 1/3
	for s.height() <= s.job(id).VerificationEnd {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)
	gain := s.worth(owner).Sub(l.before[owner.String()])
	if p := s.provider(owner); !gain.Equal(math.NewInt(datasetFee-marketFee(datasetFee))) || !p.Bond.IsEqual(coin(bond-datasetFee)) {
		t.Fatalf("the owner-winner gained %s and its bond is %s, want the dataset fee less the market's cut (%d) and %d",
			gain, p.Bond, datasetFee-marketFee(datasetFee), bond-datasetFee)
	}
	lost := l.before[req.String()].Sub(s.bal(req))
	if !lost.Equal(math.NewInt(creationFee)) {
		t.Fatalf("honest requester lost %s (creation fee %d + dataset fee %d), want only the creation fee %d; "+
			"the dataset owner that won and aborted without doing any work gained %s and forfeited nothing",
			lost, creationFee, datasetFee, creationFee, gain)
	}
}

// TestAttackRequesterDatasetFeeTakenByOwnerWinnerInconclusive. The same
// owner-winner submits a result and, when it is verified, serves bad bytes to
// validators with 10 of 30 of the power and nothing to another 10 (README:
// "a result that mixes INVALID and UNAVAILABLE verdicts so that neither
// reaches 1/3 ... ends inconclusive: the provider ... forfeits nothing").
// The job ends VERIFICATION_INCONCLUSIVE, and endInconclusive →
// closeWithRefund pays the owed dataset fee to the owner: the clog that
// "never pays" (economics item 15) pays the dataset fee to a winner that owns
// the dataset, out of the honest requester's escrow, at no cost to it.
func TestAttackRequesterDatasetFeeTakenByOwnerWinnerInconclusive(t *testing.T) {
	const bond = 1_000_000
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000 // the result is verified
	s.setParams(p)
	req, owner := s.acc(0), s.acc(1)
	w := s.mlpInputs(owner)
	s.registerAny(owner, bond)
	l := s.ledger(req, owner)
	id := s.mlpJob(req, w, 10_000)
	if !reqWinAsProvider(s, owner, id, 10_000) {
		return // defended
	}
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: owner.String(), JobId: id, OutputRoot: root32, ChunkCount: 5}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 'a', 10)
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 'k', 10)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'u', 9)
	for i := 0; i < 100 && !s.job(id).State.IsTerminal(); i++ {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE)
	// The owner keeps the fee (its rows were read); the winner, which made
	// the split, forfeits as much of its collateral to the requester.
	s.bondOf(owner, bond-datasetFee, 0, 0)
	gain := s.worth(owner).Sub(l.before[owner.String()])
	if net := gain.SubRaw(datasetFee); net.IsPositive() {
		t.Fatalf("the owner-winner netted %s from an inconclusive verification (its bond forfeited %d)", net, datasetFee)
	}
	lost := l.before[req.String()].Sub(s.bal(req))
	if !lost.Equal(math.NewInt(creationFee)) {
		t.Fatalf("honest requester lost %s (creation fee %d + dataset fee %d) on an inconclusive verification, want only the creation fee %d; "+
			"the owner-winner gained %s and forfeited nothing", lost, creationFee, datasetFee, creationFee, gain)
	}
}

// TestAttackRequesterUndercompensatedAfterWinnerSlashedElsewhere. An honest
// requester's mlp job carries a dataset fee F = 400,000 (a valuable dataset);
// admission makes max_price ≥ F (ErrDatasetFeeUncovered) and every bid lock
// CoverLock = 2 × (creation fee + F) = 802,000, so that a timeout
// "compensates the dataset fee and the creation fee: the lock covers both"
// (economics item 21). The winner (bond 1,000,000) also wins a cheap job of
// an accomplice and is slashed for fraud on it: max(50% of the bond, that
// job's 2,000 collateral) = 500,000, and slashFraud caps its lock at the
// 500,000 bond left. It then lets the honest job time out: the penalty is
// min(lock, bond) = 500,000, the compensation 250,000, and the requester,
// who paid 401,000 (creation fee + the dataset fee now the owner's), is
// 151,000 short. The lock the requester's job was admitted on no longer
// backs it.
func TestAttackRequesterUndercompensatedAfterWinnerSlashedElsewhere(t *testing.T) {
	const (
		bond   = 1_000_000
		dsFee  = 400_000
		aPrice = 400_000 // TimeoutCompensation(400,000) = 400,000 ≥ dsFee
	)
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000 // the accomplice job's result is verified
	s.setParams(p)
	req, prov, owner, accomplice := s.acc(0), s.acc(1), s.acc(2), s.acc(3)
	s.registerAny(prov, bond)
	w := s.mlpInputsPriced(owner, nil, nil, dsFee)
	l := s.ledger(req, owner)

	m := s.createMsg(req, aPrice)
	m.Workload, m.MaxDatasetFee, m.ExecBlocks = w, sdk.NewCoins(coin(dsFee)), 60
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	if err != nil {
		t.Fatalf("create the honest job: %v", err)
	}
	a := res.JobId
	s.inv()
	s.win(prov, a, aPrice)
	if c := s.job(a).WinnerCollateral; !c.Equal(coin(2 * (creationFee + dsFee))) {
		t.Fatalf("the winner locked %s on the honest job, want CoverLock %d", c, 2*(creationFee+dsFee))
	}

	// The cheap job of an accomplice, won and failed as fraud.
	b := s.create(accomplice, 1_000)
	s.win(prov, b, 1_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: b, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	s.wantState(b, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(b, types.Verdict_VERDICT_INVALID, 'a', 11)
	s.wantState(b, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	if s.job(a).State != types.JobState_JOB_STATE_ASSIGNED {
		t.Fatalf("honest job %s before its deadline", s.job(a).State)
	}

	for i := 0; i < 200 && s.job(a).State == types.JobState_JOB_STATE_ASSIGNED; i++ {
		s.next(1)
	}
	s.wantState(a, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	// Whole: creation fee and dataset fee paid, both compensated.
	if got := s.worth(req).Sub(l.before[req.String()]); !got.IsZero() {
		t.Fatalf("honest requester changed by %s after its winner timed out (paid creation fee %d + dataset fee %d, "+
			"compensation should cover both), the winner slashed elsewhere first", got, creationFee, dsFee)
	}
}
