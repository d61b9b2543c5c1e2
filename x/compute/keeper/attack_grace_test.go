package keeper_test

import (
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// The quorum's grace (verdict_grace_blocks): a verification with a fee is
// decided that many blocks after its verdicts reach a quorum, and verdicts
// included in between still count and are paid.

// graceOver runs blocks until the job's verification_end and then the
// module's EndBlocker at that height through the suite's keeper, whose
// validators are the assurance suite's fakes (the app's own EndBlocker, run
// by the next block, then finds the entry drained).
func (s *suite) graceOver(id uint64) {
	s.t.Helper()
	for s.height() < s.job(id).VerificationEnd {
		s.next(1)
	}
	must(s.t, s.k.EndBlocker(s.ta.Ctx))
	s.inv()
}

// gracedJob is the assurance suite with verdict_grace_blocks grace and a
// verification window (20 blocks) that outlasts it, and a FULL job of req
// (acc 0) won by prov (acc 1), VERIFYING.
func gracedJob(t *testing.T, grace uint64) (s *suite, ops []sdk.AccAddress, req, prov sdk.AccAddress, id uint64) {
	t.Helper()
	s, ops = assuranceSuite(t)
	p := s.params()
	p.VerdictGraceBlocks, p.VerificationBlocks = grace, 20
	s.setParams(p)
	req, prov = s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	return s, ops, req, prov, s.assuredJob(req, prov, types.Assurance{Full: true})
}

// TestAttackProposerLeavesAValidatorOutOfTheQuorumBlock: validator 1 (7 of
// 30) proposes the block in which the job's verdicts reach their quorum and
// leaves validator 4's (9) out: 21 of 30 is a valid injection. Decided in
// that block, as before the grace, validator 4's share (120) was burned: an
// honest validator lost its pay to a proposer that gained nothing by it.
// Now the job waits verdict_grace_blocks, the next proposer includes
// validator 4's verdict, and it is paid its share to the coin; the burn is
// the rounding dust. With the grace at 0 (the rule before) the same blocks
// burn validator 4's share: the test fails there.
func TestAttackProposerLeavesAValidatorOutOfTheQuorumBlock(t *testing.T) {
	names := []string{"validator 1 (the proposer)", "validator 2", "validator 3", "validator 4 (left out)"}
	for _, c := range []struct {
		what   string
		grace  uint64
		paid   []int64
		burned int64
	}{
		{"with the grace", 3, []int64{93, 93, 93, 120}, 1},
		{"without it (verdict_grace_blocks 0)", 0, []int64{93, 93, 93, 0}, 121},
	} {
		s, ops, req, prov, id := gracedJob(t, c.grace)
		l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)

		s.set = append(s.set, types.ValidatorVerdicts{ConsAddress: []byte{4}, Power: 9}) // in every commit
		s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 7, 7, 7)                          // the quorum block, validator 4's verdict left out
		if c.grace > 0 {
			s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
			if end := s.job(id).VerificationEnd; end != s.height()+int64(c.grace) {
				t.Fatalf("%s: decided at %d, want the quorum's height %d + %d", c.what, end, s.height(), c.grace)
			}
			s.next(1)
		}
		s.verdicts(id, types.Verdict_VERDICT_VALID, 4, 9) // the next proposer includes it
		if c.grace > 0 {
			s.graceOver(id)
		}
		s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
		l.wantFullSettled(c.what, req, prov, ops, names, c.paid, c.burned)
	}
}

// wantFullSettled checks the ledger of a FULL job at verifyPrice (fee 400)
// settled since the ledger was taken: validator i (names[i]) paid paid[i],
// burned what no counted verdict earned, the requester charged nothing more
// (it paid at creation), the provider its price less the protocol fee.
func (l ledger) wantFullSettled(what string, req, prov sdk.AccAddress, ops []sdk.AccAddress, names []string, paid []int64, burned int64) {
	l.s.t.Helper()
	for i, op := range ops {
		l.delta(what+": "+names[i], op, paid[i])
	}
	l.delta(what+": requester (paid at creation)", req, 0)
	l.delta(what+": provider", prov, verifyPrice*9/10)
	l.delta(what+": reward pool", poolAddr(), verifyPrice/10)
	l.delta(what+": module", moduleAddr(), -verifyPrice-400)
	l.burned(burned)
}

// TestGraceChangesWhoIsPaidNotTheOutcome: the quorum's outcome is the
// decision; verdicts of the grace only add to those paid for it. A provider
// serves nothing to validators 1 and 2 (UNAVAILABLE from 11 of 30: a
// withholding quorum) and wrong bytes to validators 3 and 4 (INVALID from 19
// in the next block). The job is withheld, as it was when the quorum's block
// decided it; the UNAVAILABLE voters are paid their shares, the INVALID ones
// nothing.
func TestGraceChangesWhoIsPaidNotTheOutcome(t *testing.T) {
	s, ops, _, _, id := gracedJob(t, types.DefaultVerdictGraceBlocks)
	l := s.ledger(ops...)
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 1, 6, 5)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.next(1)
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 3, 10, 9)
	s.graceOver(id)
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_WITHHELD)
	l.delta("validator 1 (UNAVAILABLE)", ops[0], 80)
	l.delta("validator 2 (UNAVAILABLE)", ops[1], 66)
	l.delta("validator 3 (INVALID)", ops[2], 0)
	l.delta("validator 4 (INVALID)", ops[3], 0)
	l.burned(254)
}

// TestAttackPowerJoinsDuringTheGrace: a cheat's result reaches a fraud
// quorum (INVALID from 11 of 30). In the grace, validator 3 (10 of the old
// set) and a validator that joined since (10 more: a set of 40) vote VALID:
// 20, two thirds of the quorum's power. Were the tally read again at the
// grace's end, that would settle the job (VALID first) and pay the cheat, or
// against the new set's power dilute the fraud quorum (11 is not more than
// 40/3) into an inconclusive end; the quorum's outcome stands: fraud, the
// VALID voters paid nothing.
func TestAttackPowerJoinsDuringTheGrace(t *testing.T) {
	s, ops, _, _, id := gracedJob(t, types.DefaultVerdictGraceBlocks)
	l := s.ledger(ops...)
	s.verdicts(id, types.Verdict_VERDICT_INVALID, 1, 6, 5)
	s.next(1)
	var votes []types.ValidatorVerdicts
	for _, c := range []byte{3, 9} { // validator 3 and the newcomer
		votes = append(votes, types.ValidatorVerdicts{ConsAddress: []byte{c}, Power: 10,
			Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}})
	}
	must(t, s.applyVerdicts(40, votes))
	s.inv()
	s.graceOver(id)
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	l.delta("validator 1 (INVALID)", ops[0], 80)
	l.delta("validator 2 (INVALID)", ops[1], 66)
	l.delta("validator 3 (VALID)", ops[2], 0)
	l.burned(254)
}

// TestNoGraceWithoutAFee: a job that bought no assurance has no fee for
// verdicts to earn, so its verification is decided in the block that
// reaches the quorum, as before.
func TestNoGraceWithoutAFee(t *testing.T) {
	s, _ := assuranceSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000 // every result verified, none with a fee
	s.setParams(p)
	s.register(s.acc(1), verifyBond)
	id := s.verifyingJob(s.acc(0), s.acc(1))
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10, 10)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
}

// TestMigrate7to8: a version-7 store has no verdict_grace_blocks (it reads 0,
// the rule of version 7); the migration sets the default.
func TestMigrate7to8(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.VerdictGraceBlocks = 0
	s.setParams(p)
	must(t, keeper.NewMigrator(s.k).Migrate7to8(s.ta.Ctx))
	if got := s.params().VerdictGraceBlocks; got != types.DefaultVerdictGraceBlocks {
		t.Fatalf("verdict_grace_blocks after the migration: %d, want %d", got, types.DefaultVerdictGraceBlocks)
	}
}

// TestGenesisKeepsTheGrace: a job waiting out its grace is exported with its
// tally's quorum_total_power and its brought-forward verification_end, and
// imported as it was; a genesis with a negative quorum power, or one on a
// job not VERIFYING, is refused.
func TestGenesisKeepsTheGrace(t *testing.T) {
	s, _, _, _, id := gracedJob(t, types.DefaultVerdictGraceBlocks)
	s.set = append(s.set, types.ValidatorVerdicts{ConsAddress: []byte{3}, Power: 10}) // yet to vote
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10, 10)
	end := s.job(id).VerificationEnd
	gs, fresh := s.exportImport()
	tally, err := fresh.k.Tallies.Get(fresh.ta.Ctx, id)
	must(t, err)
	if tally.QuorumTotalPower != 30 || tally.QuorumOutcome != types.Verdict_VERDICT_VALID || fresh.job(id).VerificationEnd != end {
		t.Fatalf("imported quorum %d / %s, verification_end %d; want 30 / VALID, %d",
			tally.QuorumTotalPower, tally.QuorumOutcome, fresh.job(id).VerificationEnd, end)
	}
	if a := tally.QuorumAbsent; len(a) != 1 || string(a[0].Validator) != "\x03" || a[0].Power != 10 {
		t.Fatalf("imported quorum_absent %v, want validator 3 with 10", a)
	}
	for _, c := range []struct {
		what string
		mut  func(*types.GenesisState)
	}{
		{"negative quorum power", func(g *types.GenesisState) { g.Tallies[0].Tally.QuorumTotalPower = -1 }},
		{"quorum for no outcome", func(g *types.GenesisState) {
			g.Tallies[0].Tally.QuorumOutcome = types.Verdict_VERDICT_INPUTS_AVAILABLE
		}},
		{"quorum_absent with no power", func(g *types.GenesisState) {
			g.Tallies[0].Tally.QuorumAbsent = []types.ValidatorPower{{Validator: []byte{3}}}
		}},
		{"quorum_absent out of order", func(g *types.GenesisState) {
			g.Tallies[0].Tally.QuorumAbsent = []types.ValidatorPower{{Validator: []byte{4}, Power: 1}, {Validator: []byte{3}, Power: 1}}
		}},
		{"quorum_absent over the quorum's power", func(g *types.GenesisState) {
			g.Tallies[0].Tally.QuorumAbsent = []types.ValidatorPower{{Validator: []byte{3}, Power: 31}}
		}},
		{"quorum_powers on a VERIFYING job's quorum", func(g *types.GenesisState) {
			g.Tallies[0].Tally.QuorumPowers = []types.ValidatorPower{{Validator: []byte{3}, Power: 10}}
		}},
		{"quorum power on an ABORTING job", func(g *types.GenesisState) {
			for i := range g.Jobs {
				if g.Jobs[i].Id == id {
					g.Jobs[i].State = types.JobState_JOB_STATE_ABORTING
				}
			}
		}},
	} {
		bad := *gs
		bad.Jobs = append([]types.Job{}, gs.Jobs...)
		bad.Tallies = append([]types.TallyEntry{}, gs.Tallies...)
		c.mut(&bad)
		q := bad.Tallies[0].Tally
		bad.Tallies[0].Tally.QuorumTotalPower, bad.Tallies[0].Tally.QuorumOutcome = 0, types.Verdict_VERDICT_UNSPECIFIED
		bad.Tallies[0].Tally.QuorumAbsent, bad.Tallies[0].Tally.QuorumAbsentRecorded = nil, false
		bad.Tallies[0].Tally.QuorumPowers = nil
		must(t, bad.Validate()) // the same genesis without the quorum is valid
		bad.Tallies[0].Tally = q
		if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
			t.Fatalf("%s: %v, want ErrInvalidGenesis", c.what, err)
		}
	}
}

// TestGenesisRefusesATallyListedTwice: InitGenesis keeps one tally a job
// (the last listed) but records the voters of every entry as having voted,
// so a genesis listing a job's tally twice lost the first entry's voters'
// power to the job's quorum; a voter listed twice in one entry, anywhere in
// the list, is refused too.
func TestGenesisRefusesATallyListedTwice(t *testing.T) {
	s, _, _, _, id := gracedJob(t, types.DefaultVerdictGraceBlocks)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10)
	gs := s.exportValid()
	if len(gs.Tallies) != 1 || len(gs.Tallies[0].Voters) == 0 {
		t.Fatalf("set-up: %d tallies, want 1 with its voters", len(gs.Tallies))
	}
	twice := *gs
	twice.Tallies = []types.TallyEntry{gs.Tallies[0], gs.Tallies[0]}
	if err := twice.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Errorf("a job's tally listed twice: %v, want ErrInvalidGenesis", err)
	}
	entry := gs.Tallies[0]
	entry.Voters = append(append([][]byte{}, entry.Voters...), []byte{9}, entry.Voters[0])
	if len(entry.VoterVerdicts) > 0 {
		entry.VoterVerdicts = append(append([]types.Verdict{}, entry.VoterVerdicts...), entry.VoterVerdicts[0], entry.VoterVerdicts[0])
	}
	voter := *gs
	voter.Tallies = []types.TallyEntry{entry}
	if err := voter.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Errorf("a voter listed twice, not next to itself: %v, want ErrInvalidGenesis", err)
	}
}
