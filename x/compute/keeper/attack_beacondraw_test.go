package keeper_test

import (
	"slices"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackPlainExportTurnsBeaconDrawIntoHeaderHash. A result is
// submitted at sub with the beacon active: its draw is due at sub+2+W from
// the beacons of sub+1 and sub+2, which the proposer of the draw block
// cannot steer. The chain is exported (a plain export, which keeps every
// height) after block sub+1+W: the beacon of sub+1 is final, the round of
// sub+2 holds its shares, the draw has not run. ExportGenesis used to write
// no beacon, round or share (nor LastRound) while the job kept its
// beacon_heights: on the restarted chain drawSeed found neither beacon and
// fell back to the header hash of the draw block, which its proposer
// grinds (a provider that is also a validator keeps its own fraud
// unsampled). Passes now: the genesis carries the final beacons, the open
// rounds with their recorded shares and the last round (beacons,
// beacon_rounds, last_round), which InitGenesis stores, so the restarted
// chain draws the job as the chain would have without the restart: from
// the same beacons, the same chunks.
//
// The beacon keys are those of a test network installed in the store
// (beaconNet; not validators of the test app): the exported keys, which
// carry their consensus addresses, would import as well, but the importing
// chain gets them installed the same way as the exporting one, so that only
// the beacon state the export carries differs.
func TestAttackPlainExportTurnsBeaconDrawIntoHeaderHash(t *testing.T) {
	s, net, id, _ := pendingBeaconDraw(t)
	if j := s.job(id); j.Sample.Decided || len(j.Sample.BeaconHeights) != 2 {
		t.Fatalf("set-up: sample %+v", j.Sample)
	}
	if h := s.job(id).Sample.BeaconHeights[0]; !func() bool { _, ok := s.beacon(h); return ok }() {
		t.Fatalf("set-up: the beacon of %d is not final", h)
	}

	// The export, at the height before the draw.
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	gs.BeaconKeys = nil // the test network's keys, installed again below
	must(t, gs.Validate())
	exportHeight := s.height()
	held := s.moduleBal() // what x/bank's genesis gives the module account back

	// Without a restart: the draw block.
	s.beaconBlocks(net, 1, nil)
	want := s.job(id).Sample
	if !want.Decided || want.SeedSource != types.SeedSource_SEED_SOURCE_BEACON {
		t.Fatalf("set-up: the draw without a restart: %+v", want)
	}

	// The restarted chain, at the same height, with the same keys.
	fresh := newSuite(t)
	for fresh.height() < exportHeight {
		fresh.next(1)
	}
	if fresh.height() != exportHeight {
		t.Fatalf("set-up: fresh chain at %d, export at %d", fresh.height(), exportHeight)
	}
	fresh.install(net)
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	must(t, fresh.ta.BankKeeper.SendCoinsFromAccountToModule(fresh.ta.Ctx, fresh.acc(5), types.ModuleName, sdk.NewCoins(sdk.NewCoin(denom, held))))
	fresh.beaconBlocks(net, 1, nil) // the draw block
	got := fresh.job(id).Sample
	if !got.Decided {
		t.Fatalf("the restarted chain has not drawn job %d: %+v", id, got)
	}
	if got.SeedSource != want.SeedSource || got.Selected != want.Selected || !slices.Equal(got.Indices, want.Indices) {
		t.Errorf("the restart changed job %d's draw: seed source %s, indices %v; without the restart %s, indices %v",
			id, got.SeedSource, got.Indices, want.SeedSource, want.Indices)
	}
}

// pendingBeaconDraw is a chain whose beacon a test network of 4 keys makes
// (beaconNet), with a 64-chunk job checked in full whose result was
// submitted with the beacon active, run to block sub+1+W: the beacon of
// sub+1 final, the round of sub+2 open with its shares, the draw (due at
// sub+2+W) pending. It returns the chain, the network, the job and W.
func pendingBeaconDraw(t *testing.T) (*suite, *beaconNet, uint64, int64) {
	t.Helper()
	s, net, id, _ := submittedUnderBeacon(t)
	w := int64(s.params().BeaconWindowBlocks)
	s.beaconBlocks(net, int(2+w), nil) // blocks sub .. sub+1+w
	return s, net, id, w
}

// submittedUnderBeacon is a chain whose beacon a test network of 4 keys
// makes (beaconNet) where a 64-chunk job, every result sampled, has its
// result submitted at the height it returns (sub), the beacon active.
func submittedUnderBeacon(t *testing.T) (s *suite, net *beaconNet, id uint64, sub int64) {
	t.Helper()
	s = newSuite(t)
	net = newBeaconNet(t, 4)
	s.install(net)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	id = s.bigJob(req)
	s.win(prov, id, verifyPrice)
	sub = s.height()
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 64}); err != nil {
		t.Fatal(err)
	}
	return s, net, id, sub
}
