package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// Attacks on the dataset fee of a job that ends without a quorum
// (forfeitOwnerFees) and on the slash a fraudster owes (slash_owed.go), and
// the residual an owner with a validator below 1/3 keeps.

// settleJob finalizes blocks until job id is terminal (at most 200).
func (s *suite) settleJob(id uint64) {
	s.t.Helper()
	for i := 0; i < 200 && !s.job(id).State.IsTerminal(); i++ {
		s.next(1)
	}
}

// TestResidualValidatorBelowAThirdAndOwnerTakeFeeFromHonestWinner documents
// a residual (README "What remains"): endInconclusive makes the winner
// forfeit the owed dataset fee to the requester (forfeitOwnerFees), on the
// premise that the winner, which serves the chunks, made the split. The
// chain cannot tell who made it: a bonded validator below 1/3 of the power
// can vote UNAVAILABLE (or abstain) on chunks it fetched, and with a few
// percent of honest power offline the honest VALID votes stay short of 2/3.
// Here a dataset owner that runs a validator of 9 of 30 (below 1/3)
// colludes with a requester of a job over its dataset; an honest provider
// wins, computes and serves every chunk; 19 of 30 vote VALID, the owner's
// validator UNAVAILABLE, 2 are offline. The job ends inconclusive: the owner
// keeps the dataset fee (less the market's cut), the requester is refunded
// its escrow and the fee (out of the honest winner's bond) and holds the
// result; the honest winner loses the fee. Not closed: refunding the fee
// instead would let an owner running the winner clog verification for free
// (TestAttackProviderDatasetOwnerClogsVerificationForTheFee), an attack that
// needs no validator; this one needs a bonded validator lying, short of the
// 1/3 that would get it slashed as a minority, and power offline at the
// time, and it gains at most one dataset fee per job.
func TestResidualValidatorBelowAThirdAndOwnerTakeFeeFromHonestWinner(t *testing.T) {
	const bond = 1_000_000
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000 // the result is verified
	s.setParams(p)
	req, owner, honest := s.acc(0), s.acc(1), s.acc(2)
	s.registerAny(honest, bond)
	w := s.bigFeeDataset(owner)
	l := s.ledger(req, owner, honest)

	id := s.mlpJobWith(s.bigFeeJob(req, w, bigDatasetFee))
	s.win(honest, id, bigDatasetFee)
	s.provSubmit(honest, id)
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 'x', 9) // the owner's validator, below 1/3
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'A', 19)      // every honest validator online
	s.nextPast(id)                                            // extended once
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE)

	mf := marketFee(bigDatasetFee)
	l.delta("requester (refunded the fee out of the winner's bond)", req, -creationFee)
	l.delta("dataset owner (paid the fee)", owner, bigDatasetFee-mf)
	l.delta("honest winner's account", honest, 0)
	s.bondOf(honest, bond-bigDatasetFee, 0, 0) // the honest winner forfeits the fee
	// The colluders net the fee less the market's cut and the creation fee.
}

// TestAttackRequesterModelOwnerVoidsAbortCheckToReadDatasetFree: an abort
// that stood without a quorum refunded the dataset fee (cfc5fb9), on the
// premise that "the dataset's server answers the validators' input checks
// itself, so a split short of either quorum is its doing". The input check
// also fetches the model's weights from the model's uri, with no mirror
// (sidecar/inputs.go checkInputs → jobexec.CheckInputs), and a sidecar
// abstains on jobexec.ErrUnsupported or workload.ErrTooLarge: a model
// server that redirects every fetch to a non-http scheme or announces a
// Content-Length over the limit makes every sidecar abstain, no selectivity
// needed. A requester that owns the model and runs the winning provider (a
// second address) over an honest owner's dataset is granted the dataset at
// award, aborts, and lets its model server turn the check into
// abstentions: no verdict at all. The abort stood and the fee was refunded:
// the requester read the dataset for its creation fee, and the honest
// owner, whose server answered every probe, was paid nothing. Now an abort
// without a quorum ends as an inconclusive verification does (endAbort →
// forfeitOwnerFees): the owner is paid, and the winner forfeits the fee to
// the requester, so the pair pays it.
func TestAttackRequesterModelOwnerVoidsAbortCheckToReadDatasetFree(t *testing.T) {
	const bond = 1_000_000
	s := newSuite(t)
	s.setParams(attackParams())
	req, owner, sybil := s.acc(0), s.acc(1), s.acc(2)
	s.registerAny(sybil, bond)         // the requester's own provider
	w := s.provSplitInputs(req, owner) // model: the requester's; dataset: the honest owner's
	l := s.ledger(req, owner, sybil)

	id := s.mlpJobWith(s.bigFeeJob(req, w, bigDatasetFee))
	s.win(sybil, id, bigDatasetFee)
	acc, err := s.ta.DataMarketKeeper.HasAccess(s.ta.Ctx, 1, sybil.String(), s.job(id).DatasetVersion)
	must(t, err)
	if !acc.HasAccess {
		t.Fatalf("the winner has no access to the dataset after the award")
	}
	s.provAbort(sybil, id)
	s.wantState(id, types.JobState_JOB_STATE_ABORTING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.nextPast(id) // every sidecar abstained on the model's uri: no verdict
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_ABORTED)

	// The honest owner is paid (access was granted); the requester is
	// refunded the fee out of its own winner's bond: the pair pays the fee
	// for the rows it read, and the creation fee.
	mf := marketFee(bigDatasetFee)
	ownerDelta := s.worth(owner).Sub(l.before[owner.String()]).Int64()
	attacker := s.worth(req).Sub(l.before[req.String()]).Int64() + s.worth(sybil).Sub(l.before[sybil.String()]).Int64() +
		s.provider(sybil).Bond.Amount.Int64() - bond
	t.Logf("honest dataset owner %+d (fee %d less the market's cut %d = %d); requester + its winner %+d",
		ownerDelta, bigDatasetFee, mf, bigDatasetFee-mf, attacker)
	if ownerDelta != bigDatasetFee-mf {
		t.Fatalf("the requester's own provider was granted the honest owner's dataset and aborted; the model's server "+
			"made every input check abstain (no quorum): the owner got %d instead of %d, the requester and its winner are out only %d",
			ownerDelta, bigDatasetFee-mf, -attacker)
	}
	l.delta("requester", req, -creationFee)
	l.delta("requester's winner (account)", sybil, 0)
	s.bondOf(sybil, bond-bigDatasetFee, 0, 0)
}

// TestAttackFraudsterUnjailsBelowMinBondWhileItsBondIsLocked: UpdateProvider
// let a jailed provider back when its bond less owedDue (what free bond pays
// of its slash owed now) was at least min_provider_bond: with the whole
// bond locked by another live job, owedDue is 0 and the whole locked bond
// counted. A provider slashed for fraud (750,000 of a 1,500,000 bond,
// 730,000 of it owed because job C locks 1,480,000) unjailed without adding
// anything; once C settled the debt was collected and it bid with a 750,000
// bond, under the 1,000,000 floor. Now the whole slash owed is subtracted:
// the unjail is refused until the provider adds the 250,000 missing, and
// once C settles its bond is the floor.
func TestAttackFraudsterUnjailsBelowMinBondWhileItsBondIsLocked(t *testing.T) {
	const bond = 1_500_000
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, prov, accomplice := s.acc(0), s.acc(1), s.acc(2)
	s.register(prov, bond)

	a := s.provJob(accomplice, 1_000, 200) // lock 2,000
	c := s.provJob(req, 740_000, 200)      // lock 1,480,000
	s.provWinAll(prov, a, c)
	s.bondOf(prov, bond, 1_482_000, 2)
	s.provSubmit(prov, a)
	s.next(2)
	s.wantState(a, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(a, types.Verdict_VERDICT_INVALID, 'a', 11)
	s.wantState(a, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	pr := s.provider(prov)
	t.Logf("after the fraud slash: bond %s locked %s owed %s status %s", pr.Bond, pr.Locked, pr.SlashOwed, pr.Status)

	for s.height() < pr.JailedUntil {
		s.next(1)
	}
	update := func(add int64) error {
		m := &types.MsgUpdateProvider{Operator: prov.String(), Moniker: "gpu", Endpoint: "http://127.0.0.1:8090", Hardware: gpuHW()}
		if add > 0 {
			m.AddBond = ptr(coin(add))
		}
		_, err := s.ms.UpdateProvider(s.ta.Ctx, m)
		return err
	}
	min := s.params().MinProviderBond.Amount
	missing := min.Sub(pr.Bond.Amount.Sub(pr.SlashOwed.Amount)).Int64()
	if missing != 250_000 {
		t.Fatalf("bond %s owed %s: %d missing to min_provider_bond %s, want 250000", pr.Bond, pr.SlashOwed, missing, min)
	}
	if err := update(0); err == nil {
		pr = s.provider(prov)
		t.Fatalf("a provider slashed for fraud unjailed without adding bond (its locked bond counted though %s of it was owed): "+
			"status %s bond %s, net %s below min_provider_bond %s", pr.SlashOwed, pr.Status, pr.Bond, pr.Bond.Sub(pr.SlashOwed), min)
	} else {
		wantErr(t, err, types.ErrBondTooSmall)
	}
	wantErr(t, update(missing-1), types.ErrBondTooSmall)
	must(t, update(missing))
	s.inv()
	pr = s.provider(prov)
	owedAtUnjail := pr.SlashOwed
	t.Logf("after update: status %s bond %s owed %s (min %s)", pr.Status, pr.Bond, pr.SlashOwed, min)
	if pr.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		t.Fatalf("status %s after adding the missing bond, want ACTIVE", pr.Status)
	}

	// C settles honestly; its release pays the debt.
	s.provSubmit(prov, c)
	s.next(2)
	s.verdicts(c, types.Verdict_VERDICT_VALID, 'A', 20)
	s.settleJob(c)
	pr = s.provider(prov)
	t.Logf("after C: status %s bond %s locked %s owed %s", pr.Status, pr.Bond, pr.Locked, pr.SlashOwed)
	e := s.provJob(req, 100_000, 200)
	_, err := s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{
		Provider: prov.String(), JobId: e, Commitment: types.BidCommitment(e, prov.String(), coin(100_000), salt(prov)),
	})
	must(t, err)
	s.bondOf(prov, min.Int64(), 200_000, 1) // the floor, of which the new bid's collateral is locked
	if pr.SlashOwed.IsPositive() {
		t.Fatalf("after C settled the provider still owes %s (owed %s at the unjail)", pr.SlashOwed, owedAtUnjail)
	}
}
