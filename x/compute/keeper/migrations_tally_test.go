package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestMigrate8to9: a version-8 store keeps who voted, not what. A job in its
// quorum's grace keeps its voters (as UNSPECIFIED: its outcome and payees are
// recorded) and its quorum; another job under check starts its tally again
// (voters, sums and counted verdicts cleared), and the verdicts the
// sidecars send again are recorded and tallied.
func TestMigrate8to9(t *testing.T) {
	s, _ := assuranceSuite(t)
	p := s.params()
	p.VerdictGraceBlocks, p.VerificationBlocks = types.DefaultVerdictGraceBlocks, 50
	s.setParams(p)
	prov := s.acc(1)
	s.register(prov, verifyBond)
	other := s.assuredJob(s.acc(5), prov, types.Assurance{Full: true})
	graced := s.assuredJob(s.acc(0), prov, types.Assurance{Full: true})
	s.verdicts(graced, types.Verdict_VERDICT_VALID, 1, 10, 10) // 20 of 30: the quorum, in its grace
	s.verdicts(other, types.Verdict_VERDICT_INVALID, 1, 6)     // 6 of 30: no quorum
	if n := len(s.counted(other)); n != 1 {
		t.Fatalf("counted verdicts before: %d", n)
	}

	// Make it a version-8 store: voter keys without values.
	s.upgradeFromVersion8(graced, other)

	for _, c := range []byte{1, 2} {
		v, err := s.k.Voters.Get(s.ta.Ctx, collections.Join(graced, []byte{c}))
		if err != nil || v != int32(types.Verdict_VERDICT_UNSPECIFIED) {
			t.Fatalf("graced job's voter %d: %d, %v; want kept as UNSPECIFIED", c, v, err)
		}
	}
	if tally, err := s.k.Tallies.Get(s.ta.Ctx, graced); err != nil || tally.QuorumTotalPower != 30 || tally.QuorumOutcome != types.Verdict_VERDICT_VALID {
		t.Fatalf("graced job's quorum after the migration: %+v, %v", tally, err)
	}
	if has, err := s.k.Voters.Has(s.ta.Ctx, collections.Join(other, []byte{1})); err != nil || has {
		t.Fatalf("the other job's voter kept: %v, %v", has, err)
	}
	if tally, err := s.k.Tallies.Get(s.ta.Ctx, other); err != nil || tally.InvalidPower != 0 || len(s.counted(other)) != 0 {
		t.Fatalf("the other job after the migration: %+v, %d counted, %v", tally, len(s.counted(other)), err)
	}
	s.verdicts(other, types.Verdict_VERDICT_INVALID, 1, 6) // sent again by the sidecar
	if tally, err := s.k.Tallies.Get(s.ta.Ctx, other); err != nil || tally.InvalidPower != 6 || len(s.counted(other)) != 1 {
		t.Fatalf("the other job's verdict sent again: %+v, %d counted, %v", tally, len(s.counted(other)), err)
	}
	s.graceOver(graced)
	s.wantState(graced, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
}

// upgradeFromVersion8 stores the voters of jobs ids as version 8 kept them
// (keys without values) and runs Migrate8to9.
func (s *suite) upgradeFromVersion8(ids ...uint64) {
	s.t.Helper()
	v8 := s.k.VotersV8()
	for _, id := range ids {
		it, err := s.k.Voters.Iterate(s.ta.Ctx, collections.NewPrefixedPairRange[uint64, []byte](id))
		must(s.t, err)
		keys, err := it.Keys()
		must(s.t, err)
		for _, k := range keys {
			must(s.t, v8.Set(s.ta.Ctx, k))
		}
	}
	must(s.t, keeper.NewMigrator(s.k).Migrate8to9(s.ta.Ctx))
}
