package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestMigrate9to10: a version-9 store has no terms on its jobs. The
// migration gives every job not yet final (here one ASSIGNED and one OPEN)
// the params in force at the upgrade, leaves a final (CANCELLED) job as it
// is (and fills the terms added since in terms an earlier build wrote), and
// from then on a params change no longer reaches the live jobs: a
// timeout after the upgrade is compensated under the upgrade's terms.
func TestMigrate9to10(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov := s.acc(0), s.acc(1)
	const bond = 1_000_000
	s.register(prov, bond)
	running := s.create(req, 10_000)
	s.win(prov, running, 10_000)
	open := s.create(req, 10_000)
	cancelled := s.create(req, 10_000)
	_, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: cancelled})
	must(t, err)

	// Make it a version-9 store: no job has terms.
	for _, id := range []uint64{running, open, cancelled} {
		j := s.job(id)
		j.Terms = nil
		must(t, s.k.Jobs.Set(s.ta.Ctx, id, j))
	}
	at := s.params() // the params at the upgrade
	must(t, keeper.NewMigrator(s.k).Migrate9to10(s.ta.Ctx))

	for _, id := range []uint64{running, open} {
		got := s.job(id).Terms
		if got == nil || got.RequesterCompensationBps != at.RequesterCompensationBps || got.SlashFractionTimeout != at.SlashFractionTimeout ||
			got.MaxChunkBytes != at.MaxChunkBytes || got.SampleRateFloorBps != at.SampleRateFloorBps {
			t.Fatalf("job %d (%s) terms after the migration: %v, want the params at the upgrade", id, s.job(id).State, got)
		}
	}
	if got := s.job(cancelled).Terms; got != nil {
		t.Fatalf("final job %d given terms %v", cancelled, got)
	}
	// Terms an earlier build wrote without timeout_jail_threshold get the
	// one at the upgrade, their other terms as they were.
	j := s.job(open)
	j.Terms.TimeoutJailThreshold, j.Terms.RequesterCompensationBps = 0, at.RequesterCompensationBps+1
	must(t, s.k.Jobs.Set(s.ta.Ctx, open, j))
	must(t, keeper.NewMigrator(s.k).Migrate9to10(s.ta.Ctx))
	if got := s.job(open).Terms; got.TimeoutJailThreshold != at.TimeoutJailThreshold || got.RequesterCompensationBps != at.RequesterCompensationBps+1 {
		t.Fatalf("job %d terms lacking timeout_jail_threshold after the migration: %v, want it filled, the rest kept", open, got)
	}
	j.Terms.RequesterCompensationBps = at.RequesterCompensationBps
	j.Terms.TimeoutJailThreshold = at.TimeoutJailThreshold
	must(t, s.k.Jobs.Set(s.ta.Ctx, open, j))
	s.inv()
	// The open job is withdrawn, so that only the running one moves coins below.
	_, err = s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: open})
	must(t, err)

	// Governance cuts the compensation after the upgrade: the running job
	// keeps the terms it was given, and its timeout makes the requester whole.
	l := s.ledger(req)
	p := s.params()
	p.RequesterCompensationBps = 0
	s.setParams(p)
	for s.height() <= s.job(running).ExecDeadline {
		s.next(1)
	}
	s.wantState(running, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	// Its 10,000 escrow back and its 1,000 creation fee as compensation
	// (10,000 alone under the cut params).
	l.delta("requester (the terms at the upgrade compensate the creation fee)", req, 10_000+1_000)
}
