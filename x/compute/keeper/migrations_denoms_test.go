package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestMigrate3to4: a version-3 store has no allowed_denoms (its params fail
// this binary's validation) and jobs whose commitments carry no price
// collateral. The migration sets allowed_denoms to the bond denom alone, the
// default; no coin moves, every invariant holds, and the live jobs run on:
// one settles, one is refunded.
func TestMigrate3to4(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	assigned := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	open := s.create(req, 5_000)
	s.commit(p2, open, 4_000)

	old := s.params()
	old.AllowedDenoms = nil
	if err := old.Validate(); err == nil {
		t.Fatal("params without allowed_denoms validate: the test does not reproduce a version-3 store")
	}
	must(t, s.k.Params.Set(s.ta.Ctx, old))
	before := s.snap(req, p1, p2)

	must(t, keeper.NewMigrator(s.k).Migrate3to4(s.ta.Ctx))
	got := s.params()
	if err := got.Validate(); err != nil || len(got.AllowedDenoms) != 1 || got.AllowedDenoms[0] != denom {
		t.Fatalf("allowed_denoms after the migration %v: %v", got.AllowedDenoms, err)
	}
	for i, b := range before.bals {
		if after := s.snap(req, p1, p2).bals[i]; !after.Equal(b) {
			t.Fatalf("balance %d moved: %s -> %s", i, b, after)
		}
	}
	s.inv()
	s.settleGemm(p1, assigned)
	for s.job(open).State.InAuction() {
		s.next(1)
	}
	if st := s.job(open).State; st != types.JobState_JOB_STATE_EXPIRED && st != types.JobState_JOB_STATE_ASSIGNED {
		t.Fatalf("open job after the migration: %s", st)
	}
	s.bondOf(p1, 1_000_000, 0, 0)
}
