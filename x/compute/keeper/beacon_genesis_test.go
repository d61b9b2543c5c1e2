package keeper_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/x/compute/types"
)

// TestZeroHeightExportKeepsTheBeaconDraw: as
// TestAttackPlainExportTurnsBeaconDrawIntoHeaderHash, with a zero-height
// export at the same point (the beacon of sub+1 final, the round of sub+2
// open with its shares, the draw pending). PrepareForZeroHeight shifts the
// job's beacon_heights and every height keying the beacon state by minus
// the export height (rebaseBeacon), so the restarted chain, whose block 1
// stands for the block after the export, draws the job from the beacons of
// the same two heights: the final one unchanged, the open one closed from
// the shares recorded before the export. The exported keys (of validators
// the importing staking module does not know) import by their consensus
// addresses.
func TestZeroHeightExportKeepsTheBeaconDraw(t *testing.T) {
	s, net, id, w := pendingBeaconDraw(t)
	heights := slices.Clone(s.job(id).Sample.BeaconHeights)
	first, ok := s.beacon(heights[0])
	if s.job(id).Sample.Decided || len(heights) != 2 || !ok || len(first.Value) == 0 {
		t.Fatalf("set-up: sample %+v, beacon of %v final %t", s.job(id).Sample, heights, ok)
	}
	exportHeight := s.height()
	held := s.moduleBal()

	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate())
	shifted := []int64{heights[0] - exportHeight, heights[1] - exportHeight}
	var job types.Job
	for _, j := range gs.Jobs {
		if j.Id == id {
			job = j
		}
	}
	if !slices.Equal(job.Sample.BeaconHeights, shifted) || job.Sample.DecideHeight != heights[1]+w-exportHeight {
		t.Fatalf("exported job: beacon_heights %v decide_height %d, want %v and %d",
			job.Sample.BeaconHeights, job.Sample.DecideHeight, shifted, heights[1]+w-exportHeight)
	}
	var final, open bool
	for _, b := range gs.Beacons {
		final = final || (b.Height == shifted[0] && bytes.Equal(b.Beacon.Value, first.Value))
	}
	for _, r := range gs.BeaconRounds {
		open = open || (r.Height == shifted[1] && len(r.Shares) == len(net.signers))
	}
	if !final || !open || len(gs.BeaconKeys) != len(net.signers) {
		t.Fatalf("exported beacon state: beacon of %d kept %t, round of %d with its shares %t, %d keys",
			shifted[0], final, shifted[1], open, len(gs.BeaconKeys))
	}

	fresh := newSuite(t) // its first blocks stand for the blocks after the export
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	must(t, fresh.ta.BankKeeper.SendCoinsFromAccountToModule(fresh.ta.Ctx, fresh.acc(5), types.ModuleName, sdk.NewCoins(sdk.NewCoin(denom, held))))
	if n, err := fresh.k.BeaconKeyCount.Get(fresh.ta.Ctx); err != nil || n != uint64(len(net.signers)) {
		t.Fatalf("imported beacon key count %d (%v), want %d", n, err, len(net.signers))
	}
	fresh.beaconBlocks(net, 1, nil)
	got := fresh.job(id).Sample
	if !got.Decided || got.SeedSource != types.SeedSource_SEED_SOURCE_BEACON || !slices.Equal(got.BeaconHeights, shifted) {
		t.Fatalf("after the zero-height restart: decided %t from %s, beacon heights %v; want the beacons of %v",
			got.Decided, got.SeedSource, got.BeaconHeights, shifted)
	}
	if b, ok := fresh.beacon(shifted[0]); !ok || !bytes.Equal(b.Value, first.Value) {
		t.Fatalf("the beacon of %d (%d before the export) changed across the restart", shifted[0], heights[0])
	}
}

// TestGenesisBeaconKeysImportAsExported: a rotated key exports and imports
// with its consensus address, since and previous key (a share of a height
// before the rotation still verifies against the previous key, and the
// next rotation still waits), counted once; a key of no staking validator
// given without a consensus address, or a key already owned, is refused
// with ErrInvalidGenesis.
func TestGenesisBeaconKeysImportAsExported(t *testing.T) {
	s := newSuite(t)
	valoper, cons := s.operator()
	k1, k2 := signer(t, "genesis-k1"), signer(t, "genesis-k2")
	must(t, s.registerBeacon(valoper, k1.PubKey(), k1.ProofOfPossession(apptesting.ChainID, valoper)))
	s.next(int(s.params().BeaconWindowBlocks) + 1)
	must(t, s.registerBeacon(valoper, k2.PubKey(), k2.ProofOfPossession(apptesting.ChainID, valoper)))
	want, err := s.k.BeaconKeys.Get(s.ta.Ctx, cons)
	must(t, err)
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate())

	fresh := newSuite(t)
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	got, err := fresh.k.BeaconKeys.Get(fresh.ta.Ctx, cons)
	must(t, err)
	if got.Since != want.Since || !bytes.Equal(got.PreviousPubkey, k1.PubKey()) || !bytes.Equal(got.Pubkey, k2.PubKey()) {
		t.Fatalf("imported key %+v, exported %+v", got, want)
	}
	if owner, err := fresh.k.BeaconOwner(fresh.ta.Ctx, k2.PubKey()); err != nil || !bytes.Equal(owner, cons) {
		t.Fatalf("owner of the imported key: %X (%v)", owner, err)
	}
	if n, err := fresh.k.BeaconKeyCount.Get(fresh.ta.Ctx); err != nil || n != 1 {
		t.Fatalf("beacon key count %d (%v), want 1", n, err)
	}

	// A new network's entry (no consensus address) of no staking validator.
	unknown := gs.BeaconKeys[0]
	unknown.ConsAddress = nil
	unknown.ValidatorAddress = sdk.ValAddress(bytes.Repeat([]byte{7}, 20)).String()
	gs.BeaconKeys = []types.GenesisBeaconKey{unknown}
	other := newSuite(t)
	if err := other.k.InitGenesis(other.ta.Ctx, gs); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("a key of no validator imported: %v", err)
	}
	// The same key again, on a chain where it is owned already.
	gs.BeaconKeys = []types.GenesisBeaconKey{{ValidatorAddress: valoper, Pubkey: k2.PubKey(), ProofOfPossession: want.ProofOfPossession, ConsAddress: []byte("another-consensus-addr")}}
	if err := fresh.k.InitGenesis(fresh.ta.Ctx, gs); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("a key owned by another validator imported: %v", err)
	}
}
