package keeper_test

import (
	"fmt"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// drawUnder replays blocks s+1 .. s+2+W from ctx in a cache, with the
// shares include lets through and a header hash of the variant's, and
// returns the chunk indices a 64-chunk job submitted at s draws.
func (s *suite) drawUnder(ctx sdk.Context, net *beaconNet, sub int64, variant int, include func(b int64, i int, j int64) bool) string {
	s.t.Helper()
	w := int64(s.params().BeaconWindowBlocks)
	cache, _ := ctx.CacheContext()
	for b := sub + 1; b <= sub+2+w; b++ {
		c := cache.WithBlockHeight(b).WithHeaderHash([]byte(fmt.Sprintf("variant-%d-block-%d", variant, b)))
		votes := net.votes(b, w, func(i int, j int64) bool { return include(b, i, j) })
		if err := s.k.RecordBeacon(c, net.set(), votes); err != nil {
			s.t.Fatal(err)
		}
	}
	var beacons [][]byte
	for _, h := range []int64{sub + 1, sub + 2} {
		b, err := s.k.Beacons.Get(cache, h)
		if err != nil || len(b.Value) == 0 {
			s.t.Fatalf("variant %d: no beacon of %d (%v)", variant, h, err)
		}
		beacons = append(beacons, b.Value)
	}
	return fmt.Sprint(types.SampleIndices(types.BeaconSeed(1, beacons), 64, 4))
}

// TestAttackProposerVariesBlock (issue 15 item 1; README "Sampling
// randomness", the bias bound). Validator 0 of four equal validators is
// hostile and proposes block s+2, the first to carry shares of s+1. It
// varies everything it controls: its block's header (transaction order and
// contents), which other validators' extensions its block carries (any set
// with more than 2/3 of the power), and whether its own shares of s+1 and
// s+2 ever appear. Honest proposers of the other blocks include every share
// they get. The README's bound for one hostile validator (f = 1) and a draw
// over two heights is 2^(f·2) = 4 candidate samples: only its own two
// shares matter; the block contents and the omissions do not.
func TestAttackProposerVariesBlock(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	sub := s.height()
	samples := map[string]bool{}
	variant := 0
	for omit := 0; omit < 4; omit++ { // 0: omits nobody; else the validator its block leaves out
		for own := 0; own < 4; own++ { // its shares of s+1 and s+2: in or out
			variant++
			include := func(b int64, i int, j int64) bool {
				if i == 0 && ((j == sub+1 && own&1 == 0) || (j == sub+2 && own&2 == 0)) {
					return false
				}
				return !(b == sub+2 && omit != 0 && i == omit)
			}
			samples[s.drawUnder(s.ta.Ctx, net, sub, variant, include)] = true
		}
	}
	if bound := 4; len(samples) > bound {
		t.Fatalf("one hostile proposer reached %d distinct samples, the documented bound is %d", len(samples), bound)
	}
	if len(samples) != 4 {
		t.Fatalf("expected the hostile validator's own shares to give exactly 4 samples, got %d", len(samples))
	}
	// With its own shares fixed (in), nothing the proposer does moves the sample.
	fixed := map[string]bool{}
	for omit := 0; omit < 4; omit++ {
		variant++
		include := func(b int64, i int, _ int64) bool { return !(b == sub+2 && omit != 0 && i == omit) }
		fixed[s.drawUnder(s.ta.Ctx, net, sub, variant, include)] = true
	}
	if len(fixed) != 1 {
		t.Fatalf("the proposer's block contents moved the sample: %d samples", len(fixed))
	}
}

// TestAttackWindowCoalition: proposers holding every block of a height's
// window (W = 3 in a row) can also keep honest shares out, so they choose
// among the subsets of shares with more than 2/3 of the power: with four
// equal validators, 5 per height (all four, or any three), 25 for a draw
// over two heights. The README states this bound; the test counts it.
func TestAttackWindowCoalition(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	sub := s.height()
	samples := map[string]bool{}
	variant := 0
	for out1 := -1; out1 < 4; out1++ { // the validator kept out of s+1's beacon (-1: none)
		for out2 := -1; out2 < 4; out2++ {
			variant++
			include := func(_ int64, i int, j int64) bool {
				return !((j == sub+1 && i == out1) || (j == sub+2 && i == out2))
			}
			samples[s.drawUnder(s.ta.Ctx, net, sub, variant, include)] = true
		}
	}
	if len(samples) != 25 {
		t.Fatalf("a coalition of the whole window reached %d samples; the README says 25", len(samples))
	}
}

// TestAttackDisputeDrawGround: the chunks a dispute adds used to come from
// the header hash of the dispute's own block, which its proposer (paid by
// the provider) could grind toward chunks the provider computed honestly.
// With the beacon, the dispute only schedules the draw: the job waits, out
// of the challenge queue, until the beacons of the two heights after the
// dispute are final, and its chunks are the ones they give (plus the ones
// the requester named).
func TestAttackDisputeDrawGround(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.bigJob(req)
	s.win(prov, id, verifyPrice)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 64}); err != nil {
		t.Fatal(err)
	}
	w := int64(s.params().BeaconWindowBlocks)
	s.beaconBlocks(net, int(3+w), nil)
	if j := s.job(id); !j.Sample.Decided || j.Sample.Selected {
		t.Fatalf("want an unsampled result in its challenge window: %+v", j.Sample)
	}
	at := s.height()
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, ChunkIndices: []uint64{5}}); err != nil {
		t.Fatal(err)
	}
	if j := s.job(id); j.State != types.JobState_JOB_STATE_SUBMITTED || len(j.Sample.Indices) != 0 || j.Sample.DecideHeight != at+2+w {
		t.Fatalf("the dispute's chunks were drawn in its own block: %+v", j)
	}
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id}); err == nil {
		t.Fatal("a second dispute while the first waits for its draw was accepted")
	}
	s.beaconBlocks(net, int(3+w), nil)
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING || j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_BEACON {
		t.Fatalf("after the draw: %+v", j)
	}
	seed := types.BeaconSeed(id, [][]byte{net.expectedBeacon(at+1, 0, 1, 2, 3), net.expectedBeacon(at+2, 0, 1, 2, 3)})
	want := map[uint64]bool{5: true}
	for _, i := range types.SampleIndices(seed, 64, s.params().SamplesPerJob) {
		want[i] = true
	}
	if len(j.Sample.Indices) != len(want) {
		t.Fatalf("indices %v, want the beacon's plus 5", j.Sample.Indices)
	}
	for _, i := range j.Sample.Indices {
		if !want[i] {
			t.Fatalf("indices %v, want the beacon's plus 5", j.Sample.Indices)
		}
	}
}
