package keeper_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// unsampledResult has prov win and submit a 64-chunk job of req, and runs
// blocks until its result is drawn unsampled (at the harness's floor of 0)
// and in its challenge window.
func (s *suite) unsampledResult(net *beaconNet, req, prov sdk.AccAddress) uint64 {
	s.t.Helper()
	id := s.bigJob(req)
	s.win(prov, id, verifyPrice)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 64}); err != nil {
		s.t.Fatal(err)
	}
	s.beaconBlocks(net, int(3+s.params().BeaconWindowBlocks), nil)
	if j := s.job(id); !j.Sample.Decided || j.Sample.Selected || s.height() > j.ChallengeEnd {
		s.t.Fatalf("want an unsampled result in its challenge window at %d: %+v", s.height(), j)
	}
	return id
}

// disputeIndices are the chunks a dispute of job id at height d draws when
// the validators whose indices in lets through give their shares of d+1 and
// of d+2, mixed with secret (none: the beacons' draw).
func disputeIndices(net *beaconNet, id uint64, d int64, samples uint32, secret []byte, in1, in2 []int) []uint64 {
	seed := types.BeaconSeed(id, [][]byte{net.expectedBeacon(d+1, in1...), net.expectedBeacon(d+2, in2...)})
	return types.SampleIndices(types.SecretSeed(seed, secret), 64, samples)
}

// TestAttackColludingValidatorWithholdsShareToSkipDisputedChunk: a dispute's
// chunks are drawn from the beacons of the two heights after it, and a
// validator with a beacon key sees the honest shares of both before its own
// are due. The requester disputes a result without knowing which chunk is
// wrong; the provider's friend, revealing or withholding each of its two
// shares, picks among 4 draws one that leaves the forged chunk out, and the
// forged result passes the check its requester paid dispute_fee for (the
// draw mixed only the job's secret, public since the result's draw). The
// dispute now carries a fresh sample commitment whose secret the requester
// reveals once those beacons are final; the friend's choice is blind. This
// test plays a height where the mixed draw checks the chunk the friend's
// choice left out.
func TestAttackColludingValidatorWithholdsShareToSkipDisputedChunk(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	net.powers[0] = 1 // the provider's friend: 1 of 31
	s.install(net)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.unsampledResult(net, req, prov)
	d, n := s.height(), s.params().SamplesPerJob
	all, honest := []int{0, 1, 2, 3}, []int{1, 2, 3}
	full := disputeIndices(net, id, d, n, nil, all, all)
	// The forged chunk: one the full set's draw checks and one of the
	// friend's other three choices leaves out.
	bad, out := uint64(0), -1
	for _, c := range full {
		for o := 1; o < 4 && out < 0; o++ {
			in1, in2 := all, all
			if o&1 != 0 {
				in1 = honest
			}
			if o&2 != 0 {
				in2 = honest
			}
			if !slices.Contains(disputeIndices(net, id, d, n, nil, in1, in2), c) {
				bad, out = c, o
			}
		}
		if out >= 0 {
			break
		}
	}
	if out < 0 {
		t.Fatalf("at %d no choice of the friend leaves out a chunk of %v: pick another height", d, full)
	}
	in1, in2 := all, all
	if out&1 != 0 {
		in1 = honest
	}
	if out&2 != 0 {
		in2 = honest
	}
	// The requester's secret is random: the test takes one of the draws
	// (about 1 in 16) where the mixed draw checks the forged chunk.
	var secret [32]byte
	for i := 0; ; i++ {
		secret = sha256.Sum256(fmt.Appendf(nil, "the dispute's secret %d", i))
		if slices.Contains(disputeIndices(net, id, d, n, secret[:], in1, in2), bad) {
			break
		}
	}
	l := s.ledger(req, prov)
	msg := &types.MsgDisputeResult{Requester: req.String(), JobId: id, SampleCommitment: types.SampleCommitment(secret[:])}
	if _, err := s.ms.DisputeResult(s.ta.Ctx, msg); err != nil {
		t.Fatal(err)
	}
	withhold, reveal := s.friendWithholdsUntilTheWindow(net, id, d, out, req, secret[:])
	if j := s.job(id); len(j.Sample.Indices) != 0 {
		t.Fatalf("at height %d, in the window, the dispute's draw ran without its secret: indices %v", s.height(), j.Sample.Indices)
	}
	s.record(s.ta.Ctx, net, withhold) // the block's PreBlocker, which closes the round of d+2, runs before its transactions
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, reveal); err != nil {
		t.Fatal(err)
	}
	s.beaconBlocks(net, 2, withhold)
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !slices.Contains(j.Sample.Indices, bad) {
		t.Fatalf("a validator with 1/31 of the power withheld its shares (choice %d of 4) and kept the forged chunk %d out of "+
			"the dispute's check: job %s, indices %v (the full set's %v)", out, bad, j.State, j.Sample.Indices, full)
	}
	if j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_BEACON || len(j.Sample.BeaconHeights) != 2 {
		t.Fatalf("the dispute's seed came from %s over heights %v, want the beacons of %d and %d", j.Sample.SeedSource, j.Sample.BeaconHeights, d+1, d+2)
	}
	fee := s.params().DisputeFee.Amount.Int64()
	l.delta("requester", req, -fee) // the dispute fee, held until the verdict: the commitment costs nothing more
	l.delta("provider", prov, 0)
	l.delta("module", moduleAddr(), fee)
}

// TestUnrevealedDisputeSecretLeavesTheBeaconsDraw: a dispute whose
// requester commits and does not reveal is drawn from the beacons alone,
// SampleRevealBlocks later, with the chunks it named; a dispute without a
// commitment is drawn as before, with no window.
func TestUnrevealedDisputeSecretLeavesTheBeaconsDraw(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	w := int64(s.params().BeaconWindowBlocks)
	kept := sha256.Sum256([]byte("kept"))
	for _, committed := range []bool{true, false} {
		id := s.unsampledResult(net, req, prov)
		d := s.height()
		msg := &types.MsgDisputeResult{Requester: req.String(), JobId: id, ChunkIndices: []uint64{63}}
		if committed {
			msg.SampleCommitment = types.SampleCommitment(kept[:])
		}
		if _, err := s.ms.DisputeResult(s.ta.Ctx, msg); err != nil {
			t.Fatal(err)
		}
		j := s.job(id)
		wantFrom, wantDraw := int64(0), d+2+w
		if committed {
			wantFrom, wantDraw = d+2+w, d+2+w+types.SampleRevealBlocks
		}
		if j.Sample.RevealFrom != wantFrom || j.Sample.DecideHeight != wantDraw {
			t.Fatalf("committed %t: reveal_from %d, decide_height %d, want %d, %d", committed, j.Sample.RevealFrom, j.Sample.DecideHeight, wantFrom, wantDraw)
		}
		for s.height() < wantDraw {
			if j := s.job(id); j.State != types.JobState_JOB_STATE_SUBMITTED || len(j.Sample.Indices) != 0 {
				t.Fatalf("committed %t: drawn at %d, before its decide_height %d: %+v", committed, s.height(), wantDraw, j.Sample)
			}
			s.beaconBlocks(net, 1, nil)
		}
		s.beaconBlocks(net, 1, nil)
		j = s.job(id)
		all := []int{0, 1, 2, 3}
		want := append(disputeIndices(net, id, d, s.params().SamplesPerJob, nil, all, all), 63)
		slices.Sort(want)
		want = slices.Compact(want)
		if j.State != types.JobState_JOB_STATE_VERIFYING || fmt.Sprint(j.Sample.Indices) != fmt.Sprint(want) || len(j.Sample.DisputeSecret) != 0 {
			t.Fatalf("committed %t: job %s with indices %v, want VERIFYING with the beacons' %v", committed, j.State, j.Sample.Indices, want)
		}
	}
}

// TestRevealDisputeSecretRefusesAndChangesNothing: the dispute's reveal
// takes only the secret of the dispute's own commitment, from its requester,
// inside the dispute's window, once; the job's own secret, kept at its
// result's draw, does not open it; a dispute without a commitment takes no
// reveal. A refusal changes nothing.
func TestRevealDisputeSecretRefusesAndChangesNothing(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	req, prov, other := s.acc(0), s.acc(1), s.acc(2)
	s.register(prov, verifyBond)
	jobSecret := sha256.Sum256([]byte("the job's, kept at its result's draw"))
	id := s.committedJob(req, prov, jobSecret[:])
	s.submit(prov, id)
	for s.job(id).State == types.JobState_JOB_STATE_SUBMITTED && !s.job(id).Sample.Decided {
		s.beaconBlocks(net, 1, nil)
	}
	if j := s.job(id); j.Sample.Selected {
		t.Fatalf("want an unsampled result: %+v", j.Sample)
	}
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, SampleCommitment: jobSecret[:16]}); !errors.Is(err, types.ErrInvalidSampleSecret) {
		t.Fatalf("a dispute with a 16-byte commitment: %v, want ErrInvalidSampleSecret", err)
	}
	secret := sha256.Sum256([]byte("the dispute's"))
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, SampleCommitment: types.SampleCommitment(secret[:])}); err != nil {
		t.Fatal(err)
	}
	early := &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:]}
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, early); !errors.Is(err, types.ErrRevealNotOpen) {
		t.Fatalf("a reveal before the dispute's beacons are final: %v, want ErrRevealNotOpen", err)
	}
	s.beaconBlocks(net, int(s.job(id).Sample.RevealFrom-s.height()), nil)
	s.record(s.ta.Ctx, net, nil)
	before, l := s.job(id), s.ledger(req, prov, other)
	wrong := sha256.Sum256([]byte("a guess"))
	for _, c := range []struct {
		name string
		msg  *types.MsgRevealSampleSecret
		want error
	}{
		{"another account", &types.MsgRevealSampleSecret{Requester: other.String(), JobId: id, Secret: secret[:]}, types.ErrNotRequester},
		{"a wrong secret", &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: wrong[:]}, types.ErrInvalidSampleSecret},
		{"the job's own secret", &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: jobSecret[:]}, types.ErrInvalidSampleSecret},
	} {
		if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, c.msg); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if got := s.job(id); got.String() != before.String() {
			t.Fatalf("%s changed the job:\n%s\nwas\n%s", c.name, got.String(), before.String())
		}
	}
	l.delta("requester", req, 0)
	l.delta("provider", prov, 0)
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, early); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, early); !errors.Is(err, types.ErrRevealNotOpen) {
		t.Fatalf("a second reveal: %v, want ErrRevealNotOpen", err)
	}
	h := s.height()
	s.beaconBlocks(net, 2, nil)
	if j := s.job(id); j.State != types.JobState_JOB_STATE_VERIFYING || j.Sample.DecideHeight != h+1 || !slices.Equal(j.Sample.DisputeSecret, secret[:]) {
		t.Fatalf("revealed at %d: job %s, decide_height %d, want VERIFYING drawn in the next block", h, j.State, j.Sample.DecideHeight)
	}

	// A dispute without a commitment opens no window.
	id2 := s.unsampledResult(net, req, prov)
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id2}); err != nil {
		t.Fatal(err)
	}
	for s.height() < s.job(id2).Sample.DecideHeight-1 {
		s.beaconBlocks(net, 1, nil)
	}
	s.record(s.ta.Ctx, net, nil)
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id2, Secret: secret[:]}); !errors.Is(err, types.ErrRevealNotOpen) {
		t.Fatalf("a reveal for a dispute without a commitment: %v, want ErrRevealNotOpen", err)
	}
}

// TestGenesisCarriesTheDisputeWindow: a dispute waiting for its secret is
// exported and imported as it is (its commitment, window and queue entry),
// and a genesis whose dispute fields do not hold together is refused.
func TestGenesisCarriesTheDisputeWindow(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.unsampledResult(net, req, prov)
	secret := sha256.Sum256([]byte("the dispute's"))
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, SampleCommitment: types.SampleCommitment(secret[:])}); err != nil {
		t.Fatal(err)
	}
	gs, fresh := s.exportImport()
	if j := fresh.job(id); j.Sample.RevealFrom == 0 || !slices.Equal(j.Sample.DisputeCommitment, types.SampleCommitment(secret[:])) {
		t.Fatalf("imported: reveal_from %d, dispute_commitment %x", j.Sample.RevealFrom, j.Sample.DisputeCommitment)
	}
	at := slices.IndexFunc(gs.Jobs, func(j types.Job) bool { return j.Id == id })
	other := sha256.Sum256([]byte("another"))
	for name, edit := range map[string]func(j *types.Job){
		"dispute secret that does not open it": func(j *types.Job) { j.Sample.DisputeSecret = other[:] },
		"dispute commitment of 31 bytes":       func(j *types.Job) { j.Sample.DisputeCommitment = j.Sample.DisputeCommitment[:31] },
		"dispute commitment, no dispute":       func(j *types.Job) { j.Sample.Disputed = false },
		"dispute secret without a commitment":  func(j *types.Job) { j.Sample.DisputeCommitment, j.Sample.DisputeSecret = nil, secret[:] },
	} {
		bad := *gs
		bad.Jobs = slices.Clone(gs.Jobs)
		j := bad.Jobs[at]
		j.Sample.Indices = slices.Clone(j.Sample.Indices)
		edit(&j)
		bad.Jobs[at] = j
		if err := bad.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
