package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestMigrate5to6: a version-5 store holds a provider-index entry under ""
// for every job without a winner. The migration removes exactly those; the
// awarded job's entry stays, the provider query still finds it, and the
// invariants hold.
func TestMigrate5to6(t *testing.T) {
	s := newSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	awarded, unbid := s.create(req, verifyPrice), s.create(req, verifyPrice)
	s.win(prov, awarded, verifyPrice)
	open := s.create(req, verifyPrice)

	// Make it a version-5 store: an entry under "" for each job without a winner.
	view := s.k.JobsByProvider()
	for _, id := range []uint64{unbid, open} {
		must(t, view.Set(s.ta.Ctx, collections.Join("", id)))
	}
	must(t, keeper.NewMigrator(s.k).Migrate5to6(s.ta.Ctx))

	entries := func() []collections.Pair[string, uint64] {
		it, err := view.Iterate(s.ta.Ctx, nil)
		must(t, err)
		keys, err := it.Keys()
		must(t, err)
		return keys
	}
	if got := entries(); len(got) != 1 || got[0].K1() != prov.String() || got[0].K2() != awarded {
		t.Fatalf("provider index after the migration: %v, want only (%s, %d)", got, prov, awarded)
	}
	res, err := s.q.Jobs(s.ta.Ctx, &types.QueryJobsRequest{Provider: prov.String()})
	must(t, err)
	if len(res.Jobs) != 1 || res.Jobs[0].Id != awarded {
		t.Fatalf("jobs of %s: %v, want job %d", prov, res.Jobs, awarded)
	}
	s.inv()
}
