package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestMigrate4to5Beacon: a version-4 store has no beacon_window_blocks and its
// waiting draws are keyed by submission height with no decide_height. The
// migration sets the default window; such a draw still runs in the next
// block, from the header hash (no key is registered yet).
func TestMigrate4to5Beacon(t *testing.T) {
	s := newSuite(t)
	id := s.submitted(s.acc(0), s.acc(1))
	// Make it a version-4 store: the entry under the submission height, no
	// decide_height, no window.
	sub := s.height()
	j := s.job(id)
	must(t, s.k.SampleQueue.Remove(s.ta.Ctx, collections.Join(j.Sample.DecideHeight, id)))
	must(t, s.k.SampleQueue.Set(s.ta.Ctx, collections.Join(sub, id)))
	j.Sample.DecideHeight = 0
	must(t, s.k.Jobs.Set(s.ta.Ctx, id, j))
	old := s.params()
	old.BeaconWindowBlocks = 0
	must(t, s.k.Params.Set(s.ta.Ctx, old))

	must(t, keeper.NewMigrator(s.k).Migrate4to5(s.ta.Ctx))
	if got := s.params().BeaconWindowBlocks; got != types.DefaultBeaconWindowBlocks {
		t.Fatalf("beacon_window_blocks %d after the migration", got)
	}
	s.next(2)
	if j := s.job(id); !j.Sample.Decided || j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_HEADER_HASH {
		t.Fatalf("the version-4 draw did not run: %+v", j.Sample)
	}
	s.inv()
}

// TestMigrate6to7: a version-6 store has beacon keys but no count of them.
// Read as version 7 without the migration, a submission would not wait for
// the beacon (and the invariant says so); the migration counts the keys, and
// the next submission's draw waits for the beacons of the two heights after
// it.
func TestMigrate6to7(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 3)
	s.install(net)
	must(t, s.k.BeaconKeyCount.Remove(s.ta.Ctx)) // version 6 had no count
	if err := s.k.CheckInvariants(s.ta.Ctx); !errors.Is(err, types.ErrInvariant) {
		t.Fatalf("invariants of a store with keys and no count: %v, want ErrInvariant", err)
	}

	must(t, keeper.NewMigrator(s.k).Migrate6to7(s.ta.Ctx))
	if n, err := s.k.BeaconKeyCount.Get(s.ta.Ctx); err != nil || n != 3 {
		t.Fatalf("beacon key count after the migration: %d, %v; want 3", n, err)
	}
	id := s.submitted(s.acc(0), s.acc(1))
	h, w := s.height(), int64(s.params().BeaconWindowBlocks)
	if j := s.job(id); j.Sample.DecideHeight != h+keeper.BeaconDrawHeights+w || len(j.Sample.BeaconHeights) != keeper.BeaconDrawHeights {
		t.Fatalf("draw after the migration: decide at %d from heights %v; want %d from %d and %d",
			j.Sample.DecideHeight, j.Sample.BeaconHeights, h+keeper.BeaconDrawHeights+w, h+1, h+2)
	}
	s.inv()
}
