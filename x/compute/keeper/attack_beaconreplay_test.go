package keeper_test

import (
	"bytes"
	"slices"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackZeroHeightRestartReplaysTheOldChainsBeacons: a provider submits
// a result just before a zero-height export (an unedited one keeps the
// chain-id). PrepareForZeroHeight shifts the job's beacon_heights by minus
// the export height, so the pending draw combines the restarted chain's
// beacons of heights 1 and 2. The validators keep their keys across the
// export (imported as exported), and BLS shares are unique: had a share
// signed only the chain-id and the height, the restarted chain's beacon of
// height j would be exactly the old chain's beacon of height j, published
// in the old chain's blocks long ago, and the provider would know the seed
// (BeaconSeed of the job id and those two values), hence every chunk the
// restarted chain will check, before it restarts: it could cheat on the
// others undetected, and the same for every draw after the restart.
// Honest outcome: a beacon of the restarted chain is not one the old chain
// already published (the export sets a restart tag every share signs).
func TestAttackZeroHeightRestartReplaysTheOldChainsBeacons(t *testing.T) {
	s := newSuite(t)
	net, w := s.finalBeacons() // the old chain's first blocks
	old := map[int64][]byte{}
	for _, h := range []int64{1, 2} {
		b, ok := s.beacon(h)
		if !ok || len(b.Value) == 0 {
			t.Fatalf("set-up: the old chain's beacon of %d: %+v (final %t)", h, b, ok)
		}
		old[h] = b.Value
	}

	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	id := s.bigJob(req)
	s.win(prov, id, verifyPrice)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 64}); err != nil {
		t.Fatal(err)
	}
	sub := s.height()
	if hs := s.job(id).Sample.BeaconHeights; !slices.Equal(hs, []int64{sub + 1, sub + 2}) {
		t.Fatalf("set-up: beacon heights %v at submission height %d", hs, sub)
	}
	held := s.moduleBal()

	// The zero-height export in the submission's block.
	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate())

	fresh := newSuite(t) // the same chain-id
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	must(t, fresh.ta.BankKeeper.SendCoinsFromAccountToModule(fresh.ta.Ctx, fresh.acc(5), types.ModuleName, sdk.NewCoins(sdk.NewCoin(denom, held))))
	for i := int64(0); i < 3*w+6 && !fresh.job(id).Sample.Decided; i++ {
		fresh.beaconBlocks(net, 1, nil)
	}
	got := fresh.job(id).Sample
	if !got.Decided || got.SeedSource != types.SeedSource_SEED_SOURCE_BEACON {
		t.Fatalf("set-up: the restarted chain's draw: %+v", got)
	}
	var replayed []int64
	for _, h := range got.BeaconHeights {
		if b, ok := fresh.beacon(h); ok && bytes.Equal(b.Value, old[h]) {
			replayed = append(replayed, h)
		}
	}
	if len(replayed) > 0 {
		t.Fatalf("job %d (submitted at %d, just before the export) was drawn from the restarted chain's beacons of heights %v, equal to the old chain's beacons of the same heights, final since its block %d: its seed BeaconSeed(%d, %x…) and its %d sampled chunks %v were known before the restart",
			id, sub, replayed, 2+w, id, old[replayed[0]][:4], len(got.Indices), got.Indices)
	}
}
