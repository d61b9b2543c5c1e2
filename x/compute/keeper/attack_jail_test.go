package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackOlderTermsJailShortensALongerJail: a job's terms keep
// jail_blocks, so jobs created before and after a governance change jail
// their failing winner for different spans. jail (penalties.go) sets
// jailed_until = h + the failing job's jail_blocks unconditionally, even on a
// provider already jailed until later: the jail a second failure carries
// replaces the first instead of adding to it. Governance raises jail_blocks
// from 10 to 1,000; a provider times out on a job created after the raise
// (jailed until h_a + 1,000), then lets a small job it won before the raise
// time out too, and its jail now ends 10 blocks later: it unjails and bids
// again ~990 blocks early, for the price of that small job's collateral.
// Without terms (one jail_blocks for every job) a later jail always ended
// later, so the overwrite was harmless. jail now keeps the later of the
// two ends.
func TestAttackOlderTermsJailShortensALongerJail(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.TimeoutJailThreshold = 1 // every timeout jails (valid params; not a term)
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)

	// A small job won under jail_blocks 10, running for 40 blocks.
	old := s.createExec(req, 1_000, 40)
	s.win(prov, old, 1_000)

	// Governance raises jail_blocks to 1,000.
	p = s.params()
	p.JailBlocks = 1_000
	s.setParams(p)
	a := s.createExec(req, 1_000, 3)
	s.win(prov, a, 1_000)
	if got := s.job(a).Terms.JailBlocks; got != 1_000 {
		t.Fatalf("setup: job %d terms jail_blocks %d, want 1000", a, got)
	}

	// The provider walks away from the new job: jailed for 1,000 blocks.
	for s.job(a).State == types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	s.wantState(a, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	jailed := s.provider(prov)
	until := jailed.JailedUntil
	if jailed.Status != types.ProviderStatus_PROVIDER_STATUS_JAILED || until != s.job(a).ClosedHeight+1_000 {
		t.Fatalf("setup: after the timeout of job %d the provider is %s until %d, want JAILED until %d",
			a, jailed.Status, until, s.job(a).ClosedHeight+1_000)
	}

	// ... then lets the old small job time out too.
	for s.job(old).State == types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	s.wantState(old, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	if got := s.provider(prov); got.JailedUntil < until {
		t.Fatalf("a second failure shortened the provider's jail: jailed until %d after job %d's timeout (jail_blocks 10 of its terms), was %d (jail_blocks 1000): it unjails %d blocks early",
			got.JailedUntil, old, until, until-got.JailedUntil)
	}
}

// TestAttackParamsJailThresholdCutUnderRunningJob: the README's "Terms a job
// keeps" says the timeout penalty "and the jail [it carries]" follow the
// job's terms, and the terms keep jail_blocks, but whether a timeout jails
// at all is timeout_jail_threshold read live (forfeit: params is
// jobParams(job), and JobParamTerms does not name the threshold). A winner
// that took a job under threshold 3 and has no timeout on record is jailed
// by its first timeout once governance cuts the threshold to 1 while the job
// runs: it is barred from every auction for jail_blocks, and any auction it
// leads mid-close is voided at the price of a second timeout penalty
// (voidLead), none of which the terms it bid under carried. The terms now
// keep timeout_jail_threshold (field 20).
func TestAttackParamsJailThresholdCutUnderRunningJob(t *testing.T) {
	s := newSuite(t)
	if got := s.params().TimeoutJailThreshold; got != 3 {
		t.Fatalf("setup: timeout_jail_threshold %d, want 3", got)
	}
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)
	id := s.createExec(req, 1_000, 5)
	s.win(prov, id, 1_000)

	p := s.params()
	p.TimeoutJailThreshold = 1
	s.setParams(p)
	s.runToTimeout(id)
	if got := s.provider(prov); got.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE || got.Stats.ConsecutiveTimeouts != 1 {
		t.Fatalf("after its first timeout on a job won under timeout_jail_threshold 3 the winner is %s until %d (%d timeouts in a row): jailed by a threshold cut after it bid",
			got.Status, got.JailedUntil, got.Stats.ConsecutiveTimeouts)
	}
}

// TestAttackParamsJailThresholdCutReachesJobImportedWithoutIt: terms written
// before timeout_jail_threshold was a term (a chain already at
// ConsensusVersion 10 from an earlier build, its export imported again)
// carry 0 for it, which Under reads as "the params in force": the cut of
// TestAttackParamsJailThresholdCutUnderRunningJob would still jail the
// winner of such a job on its first timeout. InitGenesis gives a live job's
// terms the genesis params' threshold (fillUnsetTerms), as it gives a job
// imported without terms all of them.
func TestAttackParamsJailThresholdCutReachesJobImportedWithoutIt(t *testing.T) {
	s := newSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)
	id := s.createExec(req, 1_000, 5)
	s.win(prov, id, 1_000)
	gs := s.exportValid()
	for i := range gs.Jobs {
		if gs.Jobs[i].Id == id {
			gs.Jobs[i].Terms.TimeoutJailThreshold = 0
		}
	}
	must(t, s.k.InitGenesis(s.ta.Ctx, gs))
	if got := s.job(id).Terms.TimeoutJailThreshold; got != 3 {
		t.Fatalf("imported job's terms timeout_jail_threshold %d, want the genesis params' 3", got)
	}

	p := s.params()
	p.TimeoutJailThreshold = 1
	s.setParams(p)
	s.runToTimeout(id)
	if got := s.provider(prov); got.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		t.Fatalf("after its first timeout on an imported job the winner is %s: jailed by a threshold cut after the import", got.Status)
	}
}
