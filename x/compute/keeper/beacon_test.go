package keeper_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sort"
	"testing"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/app/apptesting"
	"github.com/aichain/aichain/app/ve"
	"github.com/aichain/aichain/x/compute/types"
)

// beaconNet is a set of validators with beacon keys installed straight in
// the store (the registration path has tests of its own), equal powers
// unless set.
type beaconNet struct {
	signers []*ve.BeaconSigner
	cons    [][]byte
	powers  []int64
	// tag is the chain's restart tag the shares sign (record reads it).
	tag []byte
}

func newBeaconNet(t testing.TB, n int) *beaconNet {
	t.Helper()
	net := &beaconNet{}
	for i := 0; i < n; i++ {
		seed := sha256.Sum256([]byte{byte(i), 'b', 'e', 'a', 'c', 'o', 'n'})
		sg, err := ve.NewBeaconSigner(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		addr := sha256.Sum256([]byte{byte(i), 'c', 'o', 'n', 's'})
		net.signers = append(net.signers, sg)
		net.cons = append(net.cons, addr[:20])
		net.powers = append(net.powers, 10)
	}
	return net
}

// install registers every key in the store (with its proof of possession),
// signing from height 0, and counts them as registration does; net's
// shares sign the chain's signing tag.
func (s *suite) install(net *beaconNet) {
	s.t.Helper()
	net.tag = s.signingTag()
	if err := s.k.BeaconKeyCount.Set(s.ta.Ctx, uint64(len(net.signers))); err != nil {
		s.t.Fatal(err)
	}
	for i, sg := range net.signers {
		valoper := sdk.ValAddress(net.cons[i]).String()
		key := types.BeaconKey{ValidatorAddress: valoper, Pubkey: sg.PubKey(), ProofOfPossession: sg.ProofOfPossession(apptesting.ChainID, valoper)}
		if err := s.k.BeaconKeys.Set(s.ta.Ctx, net.cons[i], key); err != nil {
			s.t.Fatal(err)
		}
		if err := s.k.BeaconKeyOwners.Set(s.ta.Ctx, sg.PubKey(), net.cons[i]); err != nil {
			s.t.Fatal(err)
		}
	}
}

func (net *beaconNet) set() []types.BeaconVoter {
	out := make([]types.BeaconVoter, len(net.cons))
	for i := range net.cons {
		out[i] = types.BeaconVoter{ConsAddress: net.cons[i], Power: net.powers[i]}
	}
	return out
}

// shares are validator i's shares in its extension of height h (heights
// h-w+1 .. h), as ExtendVote makes them.
func (net *beaconNet) shares(i int, h, w int64) []types.BeaconShare {
	var out []types.BeaconShare
	for j := max(h-w+1, 1); j <= h; j++ {
		out = append(out, types.BeaconShare{Height: j, Signature: net.signers[i].Share(apptesting.ChainID, net.tag, j)})
	}
	return out
}

// votes are the shares of the included validators in the commit of height
// b-1 (what block b's PreBlocker sees).
func (net *beaconNet) votes(b, w int64, include func(i int, j int64) bool) []types.ValidatorShares {
	var out []types.ValidatorShares
	for i := range net.signers {
		var shares []types.BeaconShare
		for _, sh := range net.shares(i, b-1, w) {
			if include == nil || include(i, sh.Height) {
				shares = append(shares, sh)
			}
		}
		if len(shares) > 0 {
			out = append(out, types.ValidatorShares{ConsAddress: net.cons[i], Shares: shares})
		}
	}
	return out
}

// record runs RecordBeacon as block ctx's PreBlocker would.
func (s *suite) record(ctx sdk.Context, net *beaconNet, include func(i int, j int64) bool) {
	s.t.Helper()
	w := int64(s.params().BeaconWindowBlocks)
	tag, err := s.k.BeaconSigningTag(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	net.tag = tag // the chain's, as ExtendVote reads it
	if err := s.k.RecordBeacon(ctx, net.set(), net.votes(ctx.BlockHeight(), w, include)); err != nil {
		s.t.Fatal(err)
	}
}

// beaconBlocks finalizes n blocks, each recording every share first.
// finalBeacons installs a 4-validator beacon network in s and runs blocks
// until the beacons of heights 1 and 2 are final; it returns the network
// and the beacon window.
func (s *suite) finalBeacons() (*beaconNet, int64) {
	s.t.Helper()
	net := newBeaconNet(s.t, 4)
	s.install(net)
	w := int64(s.params().BeaconWindowBlocks)
	if w == 0 {
		s.t.Fatal("set-up: the beacon is off")
	}
	for s.height() <= 2+w {
		s.beaconBlocks(net, 1, nil)
	}
	return net, w
}

func (s *suite) beaconBlocks(net *beaconNet, n int, include func(i int, j int64) bool) {
	s.t.Helper()
	for ; n > 0; n-- {
		s.record(s.ta.Ctx, net, include)
		s.next(1)
	}
}

// expectedBeacon is the beacon of h over the validators in `in`.
func (net *beaconNet) expectedBeacon(h int64, in ...int) []byte {
	var inputs []types.BeaconInput
	for _, i := range in {
		inputs = append(inputs, types.BeaconInput{ConsAddress: net.cons[i], Share: net.signers[i].Share(apptesting.ChainID, net.tag, h)})
	}
	sort.Slice(inputs, func(a, b int) bool { return bytes.Compare(inputs[a].ConsAddress, inputs[b].ConsAddress) < 0 })
	return types.BeaconValue(h, inputs)
}

func (s *suite) beacon(h int64) (types.Beacon, bool) {
	s.t.Helper()
	b, err := s.k.Beacons.Get(s.ta.Ctx, h)
	if errors.Is(err, collections.ErrNotFound) {
		return b, false
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return b, true
}

// TestBeaconFinalAfterWindow: the beacon of j is fixed in block j+W, over
// every validator's share, and its shares and round are then pruned.
func TestBeaconFinalAfterWindow(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	w := int64(s.params().BeaconWindowBlocks)
	j := s.height() // its round opens in block j+1
	for s.height() < j+w {
		s.record(s.ta.Ctx, net, nil)
		if _, final := s.beacon(j); final {
			t.Fatalf("beacon of %d final at height %d, before the window closed (block %d)", j, s.height(), j+w)
		}
		s.next(1)
	}
	s.record(s.ta.Ctx, net, nil) // block j+w
	b, final := s.beacon(j)
	if !final || !bytes.Equal(b.Value, net.expectedBeacon(j, 0, 1, 2, 3)) || b.SignedPower != 40 || b.TotalPower != 40 {
		t.Fatalf("beacon of %d at block %d: %+v (final %t)", j, s.height(), b, final)
	}
	it, err := s.k.BeaconShares.Iterate(s.ta.Ctx, collections.NewPrefixedPairRange[int64, []byte](j))
	if err != nil {
		t.Fatal(err)
	}
	if keys, _ := it.Keys(); len(keys) != 0 {
		t.Fatalf("%d shares of %d left after the window", len(keys), j)
	}
	if open, _ := s.k.BeaconRounds.Has(s.ta.Ctx, j); open {
		t.Fatal("round left open")
	}
	// Beacons are pruned after the retention.
	s.ta.Ctx = s.ta.Ctx.WithBlockHeight(j + w + 2000)
	s.record(s.ta.Ctx, net, nil)
	if _, kept := s.beacon(j); kept {
		t.Fatal("beacon not pruned after BeaconRetentionBlocks")
	}
}

// TestBeaconNeedsTwoThirds: shares of exactly 2/3 of the power leave the
// beacon unavailable; more than 2/3 make it.
func TestBeaconNeedsTwoThirds(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 3)
	s.install(net)
	w := int64(s.params().BeaconWindowBlocks)
	j := s.height()
	twoOfThree := func(i int, h int64) bool { return i != 2 || h != j }
	s.beaconBlocks(net, int(w), twoOfThree)
	s.record(s.ta.Ctx, net, twoOfThree)
	if b, final := s.beacon(j); !final || len(b.Value) != 0 || b.SignedPower != 20 || b.TotalPower != 30 {
		t.Fatalf("2/3 of the power made a beacon: %+v (final %t)", b, final)
	}
	if b, _ := s.beacon(j + 1); len(b.Value) != 0 {
		t.Fatalf("height %d should not be final yet: %+v", j+1, b)
	}
	s.next(1)
	s.record(s.ta.Ctx, net, twoOfThree)
	if b, final := s.beacon(j + 1); !final || !bytes.Equal(b.Value, net.expectedBeacon(j+1, 0, 1, 2)) {
		t.Fatalf("all shares of %d: %+v (final %t)", j+1, b, final)
	}
}

// TestSampleFromBeacon: a result submitted at s is drawn in block s+2+W from
// the beacons of s+1 and s+2, and the job records it.
func TestSampleFromBeacon(t *testing.T) {
	s, net, id, sub := submittedUnderBeacon(t)
	w := int64(s.params().BeaconWindowBlocks)
	if got := s.job(id).Sample.DecideHeight; got != sub+2+w {
		t.Fatalf("decide_height %d, want %d", got, sub+2+w)
	}
	s.beaconBlocks(net, int(2+w), nil) // blocks sub .. sub+1+w
	if s.job(id).Sample.Decided {
		t.Fatal("drawn before the beacons were final")
	}
	s.beaconBlocks(net, 1, nil) // block sub+2+w
	j := s.job(id)
	if !j.Sample.Decided || j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_BEACON ||
		len(j.Sample.BeaconHeights) != 2 || j.Sample.BeaconHeights[0] != sub+1 || j.Sample.BeaconHeights[1] != sub+2 {
		t.Fatalf("sample %+v", j.Sample)
	}
	seed := types.BeaconSeed(id, [][]byte{net.expectedBeacon(sub+1, 0, 1, 2, 3), net.expectedBeacon(sub+2, 0, 1, 2, 3)})
	if !j.Sample.Selected {
		t.Fatal("the test params sample every result")
	}
	{
		want := types.SampleIndices(seed, 64, s.params().SamplesPerJob)
		if len(want) != len(j.Sample.Indices) {
			t.Fatalf("indices %v, want %v", j.Sample.Indices, want)
		}
		for i := range want {
			if want[i] != j.Sample.Indices[i] {
				t.Fatalf("indices %v, want %v", j.Sample.Indices, want)
			}
		}
	}
}

// TestBeaconUnavailableFallsBack: keys registered but no shares: the draw
// falls back to the header hash, says so, and is not delayed further.
func TestBeaconUnavailableFallsBack(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(net)
	id := s.submitted(s.acc(0), s.acc(1))
	none := func(int, int64) bool { return false }
	s.beaconBlocks(net, int(3+s.params().BeaconWindowBlocks), none)
	j := s.job(id)
	if !j.Sample.Decided || j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_HEADER_HASH || len(j.Sample.BeaconHeights) != 0 {
		t.Fatalf("sample %+v", j.Sample)
	}
}

// bigJob is a job of 64 one-row chunks (more than samples_per_job).
func (s *suite) bigJob(req sdk.AccAddress) uint64 {
	s.t.Helper()
	msg := s.createMsg(req, verifyPrice)
	msg.Workload.ChunkRows = 1
	res, err := s.ms.CreateJob(s.ta.Ctx, msg)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.JobId
}

// TestBeaconWaitsOnlyForAKeyedSet: draws wait for the beacon only while the
// validators with a key hold more than 2/3 of the last round's power: with
// keys for half the set no beacon can be available, and a result is drawn
// in the next block from the header hash; with keys for the whole set the
// draw waits for the beacons of the two heights after the submission.
func TestBeaconWaitsOnlyForAKeyedSet(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	s.install(&beaconNet{signers: net.signers[:2], cons: net.cons[:2], powers: net.powers[:2]})
	w := int64(s.params().BeaconWindowBlocks)
	submit := func(req, prov sdk.AccAddress) types.Job {
		t.Helper()
		s.register(prov, verifyBond)
		id := s.bigJob(req)
		s.win(prov, id, verifyPrice)
		s.record(s.ta.Ctx, net, nil) // this block's round: the previous height's set
		if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 64}); err != nil {
			t.Fatal(err)
		}
		return s.job(id)
	}
	j, h := submit(s.acc(0), s.acc(1)), s.height()
	if j.Sample.DecideHeight != h+1 || len(j.Sample.BeaconHeights) != 0 {
		t.Fatalf("20 of 40 keyed: decide_height %d, beacon heights %v; want %d and none", j.Sample.DecideHeight, j.Sample.BeaconHeights, h+1)
	}
	s.install(net)
	j, h = submit(s.acc(2), s.acc(3)), s.height()
	if j.Sample.DecideHeight != h+2+w || len(j.Sample.BeaconHeights) != 2 {
		t.Fatalf("40 of 40 keyed: decide_height %d, beacon heights %v; want %d and 2", j.Sample.DecideHeight, j.Sample.BeaconHeights, h+2+w)
	}
	// A round opened before LastRound was kept (the upgrade's block) is
	// read whole, and decides the same.
	s.next(1)
	s.record(s.ta.Ctx, net, nil)
	must(t, s.k.LastRound.Remove(s.ta.Ctx))
	s.register(s.acc(5), verifyBond)
	id := s.bigJob(s.acc(4))
	s.win(s.acc(5), id, verifyPrice)
	s.record(s.ta.Ctx, net, nil)
	must(t, s.k.LastRound.Remove(s.ta.Ctx))
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: s.acc(5).String(), JobId: id, OutputRoot: root32, ChunkCount: 64}); err != nil {
		t.Fatal(err)
	}
	if j, h = s.job(id), s.height(); j.Sample.DecideHeight != h+2+w {
		t.Fatalf("40 of 40 keyed, no LastRound: decide_height %d; want %d", j.Sample.DecideHeight, h+2+w)
	}
}
