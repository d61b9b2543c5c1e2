package keeper_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestRaisedBeaconWindowKeepsTheDisputeRevealShut: a dispute's reveal
// window opens where the beacons of d+1 and d+2 were final under the
// beacon_window_blocks of the dispute. A governance raise after the dispute
// keeps their rounds open past reveal_from; a reveal taken there would show
// the provider's friend the dispute's secret while it could still add or
// withhold its shares of both heights, and it would choose, knowing the
// secret, a draw that leaves the forged chunk out. The dispute's reveal
// waits, like a submission's (TestAttackRaisedBeaconWindowShowsTheFriendTheSecret),
// for the rounds to close: the friend, which withheld its shares waiting for
// the secret, gets the draw it could not see, and its late shares count
// for nothing.
func TestRaisedBeaconWindowKeepsTheDisputeRevealShut(t *testing.T) {
	s := newSuite(t)
	net := newBeaconNet(t, 4)
	net.powers[0] = 1 // the provider's friend: 1 of 31
	s.install(net)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.unsampledResult(net, req, prov)
	d, n := s.height(), s.params().SamplesPerJob
	honest := []int{1, 2, 3}
	// The friend's choice, knowing the secret: its shares of d+1 (out bit 0)
	// and d+2 (bit 1) left out, where the draw with both left out (what it
	// gets blind) checks a chunk that choice does not.
	mixed := func(secret []byte, out int) []uint64 {
		in := [2][]int{append([]int{0}, honest...), append([]int{0}, honest...)}
		for b := range in {
			if out&(1<<b) != 0 {
				in[b] = honest
			}
		}
		return disputeIndices(net, id, d, n, secret, in[0], in[1])
	}
	var secret [32]byte
	bad, out := uint64(0), -1
	for i := 0; out < 0; i++ {
		secret = sha256.Sum256(fmt.Appendf(nil, "the dispute's secret %d", i))
		for _, c := range mixed(secret[:], 3) {
			for o := 0; o < 3 && out < 0; o++ {
				if !slices.Contains(mixed(secret[:], o), c) {
					bad, out = c, o
				}
			}
		}
	}
	msg := &types.MsgDisputeResult{Requester: req.String(), JobId: id, SampleCommitment: types.SampleCommitment(secret[:])}
	if _, err := s.ms.DisputeResult(s.ta.Ctx, msg); err != nil {
		t.Fatal(err)
	}
	p := s.params()
	p.BeaconWindowBlocks += 3 // governance raises the window after the dispute
	s.setParams(p)
	revealed := false
	friend := func(i int, j int64) bool {
		if i != 0 || (j != d+1 && j != d+2) {
			return true
		}
		// Withheld until the secret is public, then its chosen shares.
		return revealed && !((j == d+1 && out&1 != 0) || (j == d+2 && out&2 != 0))
	}
	from := s.job(id).Sample.RevealFrom
	s.beaconBlocks(net, int(from-s.height()), friend)
	reveal := &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:]}
	at := int64(0)
	for i := 0; i < types.SampleRevealBlocks && !revealed; i++ {
		s.record(s.ta.Ctx, net, friend) // the block's PreBlocker runs before its transactions
		before := s.job(id)
		_, err := s.ms.RevealSampleSecret(s.ta.Ctx, reveal)
		if err != nil && !errors.Is(err, types.ErrRevealNotOpen) {
			t.Fatal(err)
		}
		if got := s.job(id); err != nil && got.String() != before.String() {
			t.Fatalf("a refused reveal at %d changed the job", s.height())
		}
		if revealed = err == nil; revealed {
			at = s.height()
		}
		s.beaconBlocks(net, 1, friend)
	}
	if want := d + 2 + int64(p.BeaconWindowBlocks); at != want {
		t.Fatalf("the dispute's reveal was taken at height %d (reveal_from %d), want %d, where the raised window closes the round of %d",
			at, from, want, d+2)
	}
	for i := 0; i < types.SampleRevealBlocks && s.job(id).State == types.JobState_JOB_STATE_SUBMITTED; i++ {
		s.beaconBlocks(net, 1, friend) // the draw, in the next block's begin blocker
	}
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !slices.Contains(j.Sample.Indices, bad) {
		t.Fatalf("the friend saw the dispute's secret before its shares of %d and %d were due and kept the chunk %d out "+
			"(choice %d of 4): job %s, indices %v", d+1, d+2, bad, out, j.State, j.Sample.Indices)
	}
	if want := mixed(secret[:], 3); !slices.Equal(j.Sample.Indices, want) || !slices.Equal(j.Sample.BeaconHeights, []int64{d + 1, d + 2}) {
		t.Fatalf("indices %v over heights %v, want %v, the draw of the beacons without the friend's shares", j.Sample.Indices, j.Sample.BeaconHeights, want)
	}
}

// TestZeroHeightExportKeepsTheDisputeWindow: a dispute waiting for its
// secret at a zero-height export takes the reveal from the restart's first
// block, until its shifted draw height, and draws the chunks of the same
// final beacons mixed with the secret.
func TestZeroHeightExportKeepsTheDisputeWindow(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.unsampledResult(net, req, prov)
	d := s.height()
	secret := sha256.Sum256([]byte("the dispute's, across the restart"))
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, SampleCommitment: types.SampleCommitment(secret[:])}); err != nil {
		t.Fatal(err)
	}
	all := []int{0, 1, 2, 3}
	want := disputeIndices(net, id, d, s.params().SamplesPerJob, secret[:], all, all)
	fresh, decide, exportHeight := s.restartInWindow(net, id)
	j := fresh.job(id)
	if j.Sample.RevealFrom != 1 || j.Sample.DecideHeight != decide-exportHeight || !j.Sample.Disputed || j.Sample.Selected {
		t.Fatalf("after the restart the dispute's window runs from %d to %d, want 1 to %d: %+v", j.Sample.RevealFrom, j.Sample.DecideHeight, decide-exportHeight, j.Sample)
	}
	if _, err := fresh.ms.RevealSampleSecret(fresh.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:]}); err != nil {
		t.Fatalf("the dispute's reveal at height %d after the restart: %v", fresh.height(), err)
	}
	fresh.beaconBlocks(net, 2, nil)
	j = fresh.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !slices.Equal(j.Sample.DisputeSecret, secret[:]) || j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_BEACON {
		t.Fatalf("after the restart: job %s, dispute secret kept %t, seed from %s", j.State, len(j.Sample.DisputeSecret) > 0, j.Sample.SeedSource)
	}
	if !slices.Equal(j.Sample.Indices, want) {
		t.Fatalf("after the restart the dispute checks %v, want %v: the beacons of %d and %d with its secret", j.Sample.Indices, want, d+1, d+2)
	}
}

// TestAttackDisputeCommitmentOpenedOnChain: a dispute's commitment blinds
// the validators only while its secret is the requester's alone. A
// requester that disputes with its job's own sample_commitment, whose
// secret the reveal of the result's draw put on chain (sample.secret), gets
// a dispute whose mixed draw every validator computes: the provider's
// friend chooses its shares of d+1 and d+2 knowing it, as it did before
// disputes took a commitment, and the requester waits SampleRevealBlocks
// more for nothing. Such a commitment is refused, and nothing changes.
func TestAttackDisputeCommitmentOpenedOnChain(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	jobSecret := sha256.Sum256([]byte("the job's, revealed at its result's draw"))
	id := s.committedJob(req, prov, jobSecret[:])
	s.submit(prov, id)
	s.beaconBlocks(net, int(s.job(id).Sample.RevealFrom-s.height()), nil)
	s.record(s.ta.Ctx, net, nil) // the block's PreBlocker, which closes the draw's last round, runs before its transactions
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: jobSecret[:]}); err != nil {
		t.Fatal(err)
	}
	s.beaconBlocks(net, 2, nil)
	if j := s.job(id); j.State != types.JobState_JOB_STATE_SUBMITTED || !j.Sample.Decided || j.Sample.Selected || len(j.Sample.Secret) == 0 {
		t.Fatalf("want an unsampled result drawn with its revealed secret: %s %+v", j.State, j.Sample)
	}
	before, l := s.job(id), s.ledger(req, prov)
	reused := &types.MsgDisputeResult{Requester: req.String(), JobId: id, SampleCommitment: types.SampleCommitment(jobSecret[:])}
	if _, err := s.ms.DisputeResult(s.ta.Ctx, reused); !errors.Is(err, types.ErrInvalidSampleSecret) {
		t.Fatalf("a dispute whose commitment the job's revealed secret opens: %v, want ErrInvalidSampleSecret "+
			"(its draw is public to the validator choosing its shares)", err)
	}
	if got := s.job(id); got.String() != before.String() {
		t.Fatalf("the refused dispute changed the job:\n%s\nwas\n%s", got.String(), before.String())
	}
	l.delta("requester", req, 0)
	l.delta("provider", prov, 0)
	// A fresh commitment is taken; its draw mixes the job's secret, then
	// the dispute's (types.DrawSecrets).
	d := s.height()
	fresh := sha256.Sum256([]byte("the dispute's own"))
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id, SampleCommitment: types.SampleCommitment(fresh[:])}); err != nil {
		t.Fatalf("a dispute with a fresh commitment: %v", err)
	}
	s.beaconBlocks(net, int(s.job(id).Sample.RevealFrom-s.height()), nil)
	s.record(s.ta.Ctx, net, nil)
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: fresh[:]}); err != nil {
		t.Fatal(err)
	}
	s.beaconBlocks(net, 2, nil)
	j := s.job(id)
	seed := types.BeaconSeed(id, [][]byte{net.expectedBeacon(d+1, 0, 1, 2, 3), net.expectedBeacon(d+2, 0, 1, 2, 3)})
	want := types.SampleIndices(types.SecretSeed(types.SecretSeed(seed, jobSecret[:]), fresh[:]), j.Result.ChunkCount, s.params().SamplesPerJob)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !slices.Equal(j.Sample.Indices, want) {
		t.Fatalf("the dispute's draw: job %s, indices %v, want %v (the beacons of %d and %d, the job's secret, the dispute's)",
			j.State, j.Sample.Indices, want, d+1, d+2)
	}
}
