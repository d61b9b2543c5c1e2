package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	"cosmossdk.io/collections"

	"github.com/aichain/aichain/x/compute/types"
)

// restartTag is the chain's beacon restart tag (nil if none).
func (s *suite) restartTag() []byte {
	s.t.Helper()
	tag, err := s.k.BeaconRestartTag(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return tag
}

// TestBeaconRestartTagEveryZeroHeightRestart: a chain never restarted has
// no restart tag (its shares sign what they always have); a zero-height
// export sets a 32-byte one, which a plain export and import keep, and a
// second zero-height restart sets another (two runs of the chain never
// sign alike); after it, a share signed without the tag is refused and one
// with it is recorded; genesis refuses a tag of another size.
func TestBeaconRestartTagEveryZeroHeightRestart(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	w := int64(s.params().BeaconWindowBlocks)
	for s.height() <= 2+w {
		s.beaconBlocks(net, 1, nil)
	}
	if tag := s.restartTag(); tag != nil {
		t.Fatalf("a chain never restarted has the tag %x", tag)
	}
	if gs, _ := s.exportImport(); len(gs.BeaconRestartTag) != 0 {
		t.Fatalf("a chain never restarted exports the tag %x", gs.BeaconRestartTag)
	}

	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	first := s.restartTag()
	if len(first) != types.BeaconRestartTagSize {
		t.Fatalf("tag after a zero-height export: %x", first)
	}
	gs, fresh := s.exportImport() // keeps the tag (it compares the exports)
	if !bytes.Equal(gs.BeaconRestartTag, first) || !bytes.Equal(fresh.restartTag(), first) {
		t.Fatalf("exported tag %x, imported %x, want %x", gs.BeaconRestartTag, fresh.restartTag(), first)
	}

	// The restarted chain's shares sign the tag: one without it is refused
	// (kept as an empty share), one with it recorded.
	set := net.set()
	for _, c := range []struct {
		tag  []byte
		want bool
	}{{nil, false}, {first, true}} {
		net.tag = c.tag
		fresh.next(1)
		votes := net.votes(fresh.height(), 1, nil)
		must(t, fresh.k.RecordBeacon(fresh.ta.Ctx, set, votes))
		j := fresh.height() - 1
		sig, err := fresh.k.BeaconShares.Get(fresh.ta.Ctx, collections.Join(j, net.cons[0]))
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			t.Fatal(err)
		}
		if recorded := len(sig) > 0; recorded != c.want {
			t.Fatalf("share of height %d signed under tag %x: recorded %t, want %t (%d bytes kept)", j, c.tag, recorded, c.want, len(sig))
		}
	}
	must(t, fresh.k.PrepareForZeroHeight(fresh.ta.Ctx))
	if second := fresh.restartTag(); len(second) != types.BeaconRestartTagSize || bytes.Equal(second, first) {
		t.Fatalf("a second zero-height restart's tag %x, the first's %x", second, first)
	}

	gs.BeaconRestartTag = first[:types.BeaconRestartTagSize-1]
	if err := gs.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("genesis with a %d-byte restart tag: %v", len(gs.BeaconRestartTag), err)
	}
}
