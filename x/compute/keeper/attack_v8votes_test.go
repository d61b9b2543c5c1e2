package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/aichain/aichain/x/compute/types"
)

// v8Import has prov win a job of req and be sampled (VERIFYING), has
// validator 1 (power before of 30) vote verdict on it, then exports the
// module as version 8 did (tallies listing who voted, not what:
// VoterVerdicts empty, which Validate accepts "as exported before they were
// kept"), and imports it into a fresh app (importV8). It returns the fresh
// suite and the job.
// (InitGenesis restarts such a tally: initTally.)
func v8Import(t *testing.T, verdict types.Verdict, before int64) (*suite, sdk.AccAddress, sdk.AccAddress, uint64) {
	t.Helper()
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000 // every result verified
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.verifyingJob(req, prov)
	s.verdicts(id, verdict, 1, before) // no quorum yet

	fresh := s.importV8()
	// The import starts the tally again (as Migrate8to9 does in place): the
	// sidecars' verdicts, sent while the job is pending, are recorded anew.
	if tally := fresh.tally(id); tally.ValidPower+tally.InvalidPower != 0 {
		t.Fatalf("imported tally: %+v, want it started again (the %d power voted before the export votes again)", tally, before)
	}
	return fresh, req, prov, id
}

// runCheckOut has validators 1 (power p1), 2 and 3 (p2 each) of a set of 30
// send verdict on job id every block, as their sidecars do while the job is
// pending, until it leaves VERIFYING (its window and its one extension).
func (s *suite) runCheckOut(id uint64, verdict types.Verdict, p1, p2 int64) {
	s.t.Helper()
	for i := 0; i < 40 && s.job(id).State == types.JobState_JOB_STATE_VERIFYING; i++ {
		var votes []types.ValidatorVerdicts
		for i, p := range []int64{p1, p2, p2} {
			votes = append(votes, types.ValidatorVerdicts{ConsAddress: []byte{byte(1 + i)}, Power: p,
				Verdicts: []types.JobVerdict{{JobId: id, Verdict: verdict}}})
		}
		must(s.t, s.applyVerdicts(30, votes))
		s.next(1)
	}
}

// TestAttackVersion8ExportVoidsTheVotesCastBeforeIt: a chain exported by
// version 8 is imported while an honest provider's job is under check, 12
// of 30 power having voted VALID. InitGenesis stores those voters with
// verdict UNSPECIFIED and keeps their sums; the next verdict's retally sums
// the voters again, the UNSPECIFIED ones at 0, and recordVerdict refuses the
// same validators' verdicts when their sidecars send them again (they
// voted). The in-place upgrade (Migrate8to9) restarts such a tally so that
// the verdicts are recorded again; the import does not. With all 30 of 30
// finding the result VALID, the job never reaches 2/3 and closes
// inconclusive: the honest provider is paid nothing and the requester gets
// the work for free. The honest outcome: the job settles and the provider is
// paid its 9,000 (10,000 less the 10% protocol fee).
func TestAttackVersion8ExportVoidsTheVotesCastBeforeIt(t *testing.T) {
	s, _, prov, id := v8Import(t, types.Verdict_VERDICT_VALID, 12)
	before := s.bal(prov)
	s.runCheckOut(id, types.Verdict_VERDICT_VALID, 12, 9) // 30 of 30 VALID
	j := s.job(id)
	if paid := s.bal(prov).Sub(before); j.State != types.JobState_JOB_STATE_SETTLED || !paid.Equal(coin(9_000).Amount) {
		t.Fatalf("30 of 30 power found the result VALID: job %s/%s, provider paid %s; want SETTLED and 9000 paid",
			j.State, j.CloseReason, paid)
	}
}

// TestAttackVersion8ExportLetsAFraudsterOffTheSlash: the same import with 6
// of 30 power having found the result INVALID before the export. Another 6
// find it INVALID after it: 12 of 30, more than 1/3, is fraud. The 6 voted
// before count 0 and cannot vote again, so the INVALID tally stays at 6: the
// job closes inconclusive, the cheating winner keeps its bond (no fraud
// slash, no jail) and the requester gets no compensation. The honest
// outcome: FAILED/FRAUD, the winner jailed and slashed.
func TestAttackVersion8ExportLetsAFraudsterOffTheSlash(t *testing.T) {
	s, _, prov, id := v8Import(t, types.Verdict_VERDICT_INVALID, 6)
	bond := s.provider(prov).Bond
	s.runCheckOut(id, types.Verdict_VERDICT_INVALID, 6, 3) // 12 of 30 INVALID
	j := s.job(id)
	pr := s.provider(prov)
	if j.State != types.JobState_JOB_STATE_FAILED || j.CloseReason != types.CloseReason_CLOSE_REASON_FRAUD ||
		pr.Status != types.ProviderStatus_PROVIDER_STATUS_JAILED || !pr.Bond.IsLT(bond) {
		t.Fatalf("12 of 30 power found the result INVALID: job %s/%s, winner %s with bond %s (was %s); want FAILED/FRAUD, jailed and slashed",
			j.State, j.CloseReason, pr.Status, pr.Bond, bond)
	}
}

// importV8 exports the module as version 8 did (tallies listing who voted,
// not what) and imports it, as a chain restarted from that export does at
// the next height, into a fresh app at s's height whose module account
// holds what s's held.
func (s *suite) importV8() *suite {
	t := s.t
	t.Helper()
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	for i := range gs.Tallies {
		gs.Tallies[i].VoterVerdicts = nil // version 8 kept none
	}
	must(t, gs.Validate())
	held := sdk.NewCoins(coin(s.moduleBal().Int64()))

	fresh := newSuite(t)
	for fresh.height() < s.height() {
		fresh.next(1)
	}
	bank := fresh.ta.BankKeeper
	must(t, bank.MintCoins(fresh.ta.Ctx, minttypes.ModuleName, held))
	must(t, bank.SendCoinsFromModuleToModule(fresh.ta.Ctx, minttypes.ModuleName, types.ModuleName, held))
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	return fresh
}

// TestAttackVersion8ExportRestartsTheTallyOfAJobInItsLastBlock is
// TestAttackUpgradeRestartsTheTallyOfAJobInItsLastBlock for a chain
// restarted from a version-8 export instead of upgraded in place: a job on
// its extended window holds 15 of 30 VALID one block before its end, when
// the export is taken. The import restarts its tally (initTally) and left
// verification_end where it was: in the last block the two validators not
// yet heard (10 of 30) vote VALID, the three cleared ones resend a block
// later, after the end, and the job closed EXPIRED / INCONCLUSIVE, its
// honest provider unpaid although 25 of 30 found its result VALID. Honest
// outcome: the restarted window ends no sooner than verification_blocks
// after the import, and the provider is paid its price less the protocol
// fee.
func TestAttackVersion8ExportRestartsTheTallyOfAJobInItsLastBlock(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps, p.VerdictGraceBlocks, p.VerificationBlocks = 10_000, types.DefaultVerdictGraceBlocks, 20
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.verifyingJob(req, prov)
	restartInTheLastBlock(t, s, prov, id, "import", (*suite).importV8)
}
