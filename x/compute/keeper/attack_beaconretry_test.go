package keeper_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackRetriedRestartReplaysTheAbortedRunsBeacons: the restart tag is a
// function of the exported state alone (the previous tag, the export height
// and the latest final beacon), so every chain started from one zero-height
// export (or from a second export of the same height, which is the same
// state) signs the same share messages with the same keys and chain-id. A
// relaunch that fails after some blocks and is retried from the same export
// (a genesis edit, a halt at an early height, a new genesis_time) makes the
// aborted run's beacons again, height for height, and the aborted run
// published them in its blocks. A provider that watched it submits a result
// in the retried chain knowing the beacons its draw will combine, hence
// every chunk that will be checked: it computes those and fakes the rest,
// and is paid in full. Honest outcome: a draw of the retried chain is not
// made of beacons the aborted run already published. It passes now: every
// InitGenesis sets the run's launch tag (its genesis time and initial
// height), which shares sign with the restart tag (BeaconSigningTag); a
// relaunch must take a new genesis_time, as it does when its validators
// agree on a new start (or a new chain-id).
func TestAttackRetriedRestartReplaysTheAbortedRunsBeacons(t *testing.T) {
	s := newSuite(t)
	net, w := s.finalBeacons()
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate())
	if len(gs.BeaconRestartTag) != types.BeaconRestartTagSize {
		t.Fatalf("set-up: the export's restart tag %x", gs.BeaconRestartTag)
	}

	// The first relaunch runs a while, its beacons public in its blocks,
	// and is abandoned.
	aborted := newSuite(t)
	must(t, aborted.k.InitGenesis(aborted.ta.Ctx, gs))
	published := map[int64][]byte{}
	for aborted.height() < 120 {
		aborted.beaconBlocks(net, 1, nil)
	}
	for h := int64(1); h < aborted.height(); h++ {
		if b, ok := aborted.beacon(h); ok && len(b.Value) > 0 {
			published[h] = b.Value
		}
	}
	if len(published) < 100 {
		t.Fatalf("set-up: the aborted run published %d beacons", len(published))
	}

	// The retry: the same export, another genesis time (a day later).
	retry := newSuite(t)
	genesisCtx := retry.ta.Ctx.WithBlockTime(retry.ta.Ctx.BlockTime().Add(24 * time.Hour))
	must(t, retry.k.InitGenesis(genesisCtx, gs))
	req, prov := retry.acc(0), retry.acc(1)
	retry.register(prov, verifyBond)
	id := retry.bigJob(req)
	retry.win(prov, id, verifyPrice)
	if _, err := retry.ms.SubmitResult(retry.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 64}); err != nil {
		t.Fatal(err)
	}
	sub := retry.height()
	for i := int64(0); i < 3*w+6 && !retry.job(id).Sample.Decided; i++ {
		retry.beaconBlocks(net, 1, nil)
	}
	got := retry.job(id).Sample
	if !got.Decided || got.SeedSource != types.SeedSource_SEED_SOURCE_BEACON || len(got.BeaconHeights) == 0 {
		t.Fatalf("set-up: the retried chain's draw: %+v", got)
	}
	var known [][]byte
	for _, h := range got.BeaconHeights {
		b, ok := retry.beacon(h)
		if ok && published[h] != nil && bytes.Equal(b.Value, published[h]) {
			known = append(known, published[h])
		}
	}
	if len(known) == len(got.BeaconHeights) {
		seed := types.BeaconSeed(id, known)
		t.Fatalf("job %d, submitted at height %d of the chain retried from the same zero-height export (tag %x…), was drawn from the beacons of heights %v, each equal to the aborted run's beacon of that height, published before the retry began: its seed %x… and its %d sampled chunks %v were known to the provider before it submitted",
			id, sub, gs.BeaconRestartTag[:4], got.BeaconHeights, seed[:4], len(got.Indices), got.Indices)
	}
}
