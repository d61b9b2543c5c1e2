package keeper_test

import (
	"errors"
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackGenesisPlantsAFutureBeaconRound: whoever writes a genesis (a
// new network's coordinator, or the editor of an export that validators
// restart from) adds to beacon_rounds an "open round" of a height the chain
// has not reached, listing one validator (the attacker's, 10 of the set's 40)
// as its whole set. Genesis Validate checks a round's voters and powers but
// not its height against the chain's, and InitGenesis stores it. When the
// chain reaches that height, openRound finds the round present and keeps
// the planted one instead of the real set's: the attacker's share alone
// (more than 2/3 of the planted power) makes the beacon of that height
// available, a value the attacker computes in advance, and a draw that
// combines it is no longer out of any one party's hands. Honest outcome: a
// genesis round of a height not below the genesis block's is refused with
// ErrInvalidGenesis (open rounds are of heights already committed), or at
// the least the real set decides the beacon: 10 of 40 leaves it
// unavailable. Now InitGenesis refuses beacon state at or above the
// genesis block's height (beaconHeightsBefore).
func TestAttackGenesisPlantsAFutureBeaconRound(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	fresh := newSuite(t)
	w := int64(fresh.params().BeaconWindowBlocks)
	if w == 0 {
		t.Fatal("set-up: the beacon is off")
	}
	j := fresh.height() + 5 // a height the chain has not reached
	gs.BeaconRounds = append(gs.BeaconRounds, types.GenesisBeaconRound{
		Height: j,
		Round: types.BeaconRound{
			Voters:     []types.BeaconVoter{{ConsAddress: net.cons[0], Power: 10}},
			TotalPower: 10, KeyedPower: 10,
		},
	})
	if err := gs.Validate(); err != nil {
		if errors.Is(err, types.ErrInvalidGenesis) {
			return // refused: the honest outcome
		}
		t.Fatalf("Validate: %v", err)
	}
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); err != nil {
		if errors.Is(err, types.ErrInvalidGenesis) {
			return
		}
		t.Fatalf("InitGenesis: %v", err)
	}
	fresh.install(net)
	// Blocks up to j+w: only the attacker (validator 0) sends shares.
	for fresh.height() <= j+w {
		fresh.record(fresh.ta.Ctx, net, func(i int, _ int64) bool { return i == 0 })
		fresh.next(1)
	}
	b, final := fresh.beacon(j)
	if !final {
		t.Fatalf("set-up: the beacon of %d is not final at height %d", j, fresh.height())
	}
	if len(b.Value) > 0 {
		t.Fatalf("a genesis round of height %d (the chain at %d at genesis) was accepted and replaced the real set's: the beacon of %d is available from one validator's share, signed power %d of %d (the set holds 40)",
			j, j-5, j, b.SignedPower, b.TotalPower)
	}
}
