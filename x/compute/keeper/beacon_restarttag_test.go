package keeper_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

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

// signingTag is what the chain's beacon shares sign after the height.
func (s *suite) signingTag() []byte {
	s.t.Helper()
	tag, err := s.k.BeaconSigningTag(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return tag
}

// TestBeaconRestartTagEveryZeroHeightRestart: a chain never restarted has
// no restart tag; a zero-height export sets a 32-byte one, which a plain
// export and import keep, and a second zero-height restart sets another;
// the restarted chain's shares sign it with the run's launch tag (its
// signing tag), and a share under the old chain's signing tag, or none, is
// refused; genesis refuses a tag of another size.
func TestBeaconRestartTagEveryZeroHeightRestart(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	if tag := s.restartTag(); tag != nil {
		t.Fatalf("a chain never restarted has the tag %x", tag)
	}
	if gs, _ := s.exportImport(); len(gs.BeaconRestartTag) != 0 {
		t.Fatalf("a chain never restarted exports the tag %x", gs.BeaconRestartTag)
	}

	oldSigning := s.signingTag() // what the old chain's shares sign
	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	first := s.restartTag()
	if len(first) != types.BeaconRestartTagSize {
		t.Fatalf("tag after a zero-height export: %x", first)
	}
	gs, fresh := s.exportImport() // keeps the tag (it compares the exports)
	if !bytes.Equal(gs.BeaconRestartTag, first) || !bytes.Equal(fresh.restartTag(), first) {
		t.Fatalf("exported tag %x, imported %x, want %x", gs.BeaconRestartTag, fresh.restartTag(), first)
	}

	// The restarted chain's shares sign its signing tag (the restart tag
	// with the run's launch): one under the old chain's, or none, is
	// refused (kept as an empty share), one with it recorded.
	set := net.set()
	signing := fresh.signingTag()
	if len(signing) != types.BeaconRestartTagSize || bytes.Equal(signing, oldSigning) {
		t.Fatalf("the restarted chain's signing tag %x, the old chain's %x", signing, oldSigning)
	}
	for _, c := range []struct {
		tag  []byte
		want bool
	}{{oldSigning, false}, {nil, false}, {signing, true}} {
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

// TestBeaconLaunchTagEveryRun: two runs started from one genesis (a relaunch
// retried after a failed start) sign alike only if their genesis times and
// initial heights are the same; a chain with no launch tag (running since
// before it) signs its restart tag alone, as before.
func TestBeaconLaunchTagEveryRun(t *testing.T) {
	s := newSuite(t)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	run := func(genesis time.Time, height int64) []byte {
		r := newSuite(t)
		must(t, r.k.InitGenesis(r.ta.Ctx.WithBlockTime(genesis).WithBlockHeight(height), gs))
		return r.signingTag()
	}
	t0 := s.ta.Ctx.BlockTime()
	a, again, later, higher := run(t0, 1), run(t0, 1), run(t0.Add(time.Second), 1), run(t0, 2)
	if !bytes.Equal(a, again) || bytes.Equal(a, later) || bytes.Equal(a, higher) || len(a) != types.BeaconRestartTagSize {
		t.Fatalf("signing tags: %x, same genesis %x, a second later %x, initial height 2 %x", a, again, later, higher)
	}
	must(t, s.k.Launch.Remove(s.ta.Ctx))
	if tag := s.signingTag(); tag != nil {
		t.Fatalf("a chain without a launch or restart tag signs under %x, want nothing after the height", tag)
	}
}
