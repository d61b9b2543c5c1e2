package keeper_test

import (
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackColludingValidatorWithholdsShareToSkipSampling: the sample of a
// result submitted in block s is drawn from the beacons of s+1 and s+2, and a
// validator with a beacon key, of any power, sees the honest shares of both
// before its own are due: revealing or withholding each of its two shares,
// it picks among 4 draws one that leaves its provider's result unsampled. A
// result the full set samples 20 % of the time was sampled 0.15 % of the
// time (docs/open-attacks.md until this fix: the job SETTLED, the provider
// +9000 for an unchecked root). The requester now commits to a secret at
// creation and reveals it once those beacons are final; the draw mixes it
// in (types.SecretSeed). The friend chose its shares without the secret, so
// its choice is one blind draw among 4 (TestRequesterSecretBlindsTheWithholdingValidator
// measures the rate back at 20 %). This test plays one of the 1 in 5 heights
// where the mixed draw samples what the friend's choice left unsampled.
func TestAttackColludingValidatorWithholdsShareToSkipSampling(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = types.DefaultParams().SampleRateFloorBps // 20%
	s.setParams(p)
	net := newBeaconNet(t, 4)
	net.powers[0] = 1 // the provider's friend: 1 of 31
	s.install(net)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	secret := sha256.Sum256([]byte("the requester's secret, drawn before its job"))
	msg := s.createMsg(req, verifyPrice)
	msg.Workload.ChunkRows, msg.ExecBlocks = 1, 60
	msg.SampleCommitment = types.SampleCommitment(secret[:])
	res, err := s.ms.CreateJob(s.ta.Ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	id := res.JobId
	s.win(prov, id, verifyPrice)
	// seed: the draw of a result submitted at sub when the friend withholds
	// its share of sub+1 (out bit 0) and of sub+2 (bit 1).
	seed := func(sub int64, out int) [32]byte {
		var beacons [][]byte
		for b, h := range []int64{sub + 1, sub + 2} {
			in := []int{1, 2, 3}
			if out&(1<<b) == 0 {
				in = append(in, 0)
			}
			beacons = append(beacons, net.expectedBeacon(h, in...))
		}
		return types.BeaconSeed(id, beacons)
	}
	rate := p.SampleRateFloorBps
	// friend: the choice that leaves the beacons' draw unsampled where the
	// full set's samples it, or -1.
	friend := func(sub int64) int {
		if !types.SampleSelected(seed(sub, 0), rate) {
			return -1
		}
		for out := 1; out < 4; out++ {
			if !types.SampleSelected(seed(sub, out), rate) {
				return out
			}
		}
		return -1
	}
	s.beaconBlocks(net, 1, nil)
	for out := friend(s.height()); out < 0 || !types.SampleSelected(types.SecretSeed(seed(s.height(), out), secret[:]), rate); out = friend(s.height()) {
		s.beaconBlocks(net, 1, nil)
	}
	sub, out := s.height(), friend(s.height())
	l := s.ledger(req, prov)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 64}); err != nil {
		t.Fatal(err)
	}
	withhold, reveal := s.friendWithholdsUntilTheWindow(net, id, sub, out, req, secret[:])
	if j := s.job(id); j.Sample.Decided {
		t.Fatalf("at height %d, in the window, the draw ran without the secret", s.height())
	}
	s.record(s.ta.Ctx, net, withhold) // the block's PreBlocker, which closes the round of sub+2, runs before its transactions
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, reveal); err != nil {
		t.Fatal(err)
	}
	s.beaconBlocks(net, 2, withhold) // the draw runs in the begin blocker of the next block, which the harness runs as it finalizes it
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !j.Sample.Selected {
		t.Fatalf("a validator with 1/31 of the power withheld its shares (choice %d of 4) and kept out of verification "+
			"a result its requester's secret samples: job %s, seed from %s, secret revealed %t", out, j.State, j.Sample.SeedSource, len(j.Sample.Secret) > 0)
	}
	if j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_BEACON || len(j.Sample.BeaconHeights) != 2 {
		t.Fatalf("the draw's seed came from %s over heights %v, want the beacons of %d and %d", j.Sample.SeedSource, j.Sample.BeaconHeights, sub+1, sub+2)
	}
	l.delta("provider", prov, 0)
	l.delta("requester", req, 0)
}

// TestUnrevealedSecretLeavesTheBeaconsDraw: a requester that commits and
// does not reveal gets the beacons' draw, SampleRevealBlocks later; a job
// without a commitment is drawn as before, and refuses a reveal.
func TestUnrevealedSecretLeavesTheBeaconsDraw(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	secret := sha256.Sum256([]byte("kept"))
	ids := make([]uint64, 2)
	for i := range ids {
		msg := s.createMsg(req, verifyPrice)
		msg.ExecBlocks = 60
		if i == 0 {
			msg.SampleCommitment = types.SampleCommitment(secret[:])
		}
		res, err := s.ms.CreateJob(s.ta.Ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = res.JobId
		s.commit(prov, ids[i], verifyPrice)
	}
	for s.height() <= s.job(ids[0]).CommitEnd {
		s.beaconBlocks(net, 1, nil)
	}
	for _, id := range ids {
		if err := s.reveal(prov, id, verifyPrice); err != nil {
			t.Fatal(err)
		}
	}
	for s.job(ids[1]).State != types.JobState_JOB_STATE_ASSIGNED {
		s.beaconBlocks(net, 1, nil)
	}
	sub := s.height()
	for _, id := range ids {
		if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: s.job(id).ExpectedChunkCount}); err != nil {
			t.Fatal(err)
		}
	}
	committed, plain := s.job(ids[0]), s.job(ids[1])
	if plain.Sample.RevealFrom != 0 || committed.Sample.DecideHeight != plain.Sample.DecideHeight+types.SampleRevealBlocks ||
		committed.Sample.RevealFrom != plain.Sample.DecideHeight {
		t.Fatalf("the committed job's draw: reveal from %d, at %d; the plain job's at %d (submitted at %d)",
			committed.Sample.RevealFrom, committed.Sample.DecideHeight, plain.Sample.DecideHeight, sub)
	}
	s.beaconBlocks(net, int(plain.Sample.DecideHeight-sub)+1, nil) // its begin blocker runs as the harness finalizes it
	if !s.job(ids[1]).Sample.Decided || s.job(ids[0]).Sample.Decided {
		t.Fatalf("at height %d: the plain job drawn %t (want true), the committed one %t (want false)",
			s.height(), s.job(ids[1]).Sample.Decided, s.job(ids[0]).Sample.Decided)
	}
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: ids[1], Secret: secret[:]}); !errors.Is(err, types.ErrRevealNotOpen) {
		t.Fatalf("a reveal on a job created without a commitment: %v, want ErrRevealNotOpen", err)
	}
	s.beaconBlocks(net, types.SampleRevealBlocks-1, nil)
	if s.job(ids[0]).Sample.Decided {
		t.Fatalf("the committed job was drawn at height %d, before its reveal window ended at %d", s.height(), committed.Sample.DecideHeight)
	}
	s.beaconBlocks(net, 1, nil)
	j := s.job(ids[0])
	if !j.Sample.Decided || len(j.Sample.Secret) != 0 || j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_BEACON {
		t.Fatalf("unrevealed, at height %d: drawn %t, secret %x, seed from %s; want the beacons' draw", s.height(), j.Sample.Decided, j.Sample.Secret, j.Sample.SeedSource)
	}
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: ids[0], Secret: secret[:]}); !errors.Is(err, types.ErrRevealNotOpen) {
		t.Fatalf("a reveal after the draw: %v, want ErrRevealNotOpen", err)
	}
}

// TestRevealSampleSecretRefusesAndChangesNothing: only the requester's
// secret that opens the commitment, within the window, is taken; a refusal
// leaves the job as it was.
func TestRevealSampleSecretRefusesAndChangesNothing(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	req, prov, other := s.acc(0), s.acc(1), s.acc(2)
	s.register(prov, verifyBond)
	secret := sha256.Sum256([]byte("the requester's"))
	id := s.committedJob(req, prov, secret[:])
	s.submit(prov, id)
	s.beaconBlocks(net, int(s.job(id).Sample.RevealFrom-s.height()), nil)
	s.record(s.ta.Ctx, net, nil) // the block's PreBlocker, which closes the draw's last round, runs before its transactions
	before := s.job(id)
	wrong := sha256.Sum256([]byte("a guess"))
	for _, c := range []struct {
		name string
		msg  *types.MsgRevealSampleSecret
		want error
	}{
		{"another account", &types.MsgRevealSampleSecret{Requester: other.String(), JobId: id, Secret: secret[:]}, types.ErrNotRequester},
		{"a wrong secret", &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: wrong[:]}, types.ErrInvalidSampleSecret},
		{"a short secret", &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:16]}, types.ErrInvalidSampleSecret},
		{"no such job", &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id + 100, Secret: secret[:]}, types.ErrJobNotFound},
	} {
		if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, c.msg); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if got := s.job(id); got.String() != before.String() {
			t.Fatalf("%s changed the job:\n%s\nwas\n%s", c.name, got.String(), before.String())
		}
	}
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:]}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:]}); !errors.Is(err, types.ErrRevealNotOpen) {
		t.Fatalf("a second reveal: %v, want ErrRevealNotOpen", err)
	}
	h := s.height()
	s.beaconBlocks(net, 2, nil) // the next block's begin blocker, run as the harness finalizes it
	j := s.job(id)
	if !j.Sample.Decided || j.Sample.DecideHeight != h+1 {
		t.Fatalf("revealed at %d: drawn %t at decide_height %d, want the next block", h, j.Sample.Decided, j.Sample.DecideHeight)
	}
}

// TestZeroHeightExportKeepsTheRevealWindow: a job waiting for its
// requester's secret at a zero-height export takes the reveal from the
// restart's first block, until its shifted draw height, and draws with it.
func TestZeroHeightExportKeepsTheRevealWindow(t *testing.T) {
	s := newSuite(t)
	net, _ := s.finalBeacons()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	secret := sha256.Sum256([]byte("across the restart"))
	id := s.committedJob(req, prov, secret[:])
	s.submit(prov, id)
	fresh, decide, exportHeight := s.restartInWindow(net, id)
	j := fresh.job(id)
	if j.Sample.RevealFrom != 1 || j.Sample.DecideHeight != decide-exportHeight {
		t.Fatalf("after the restart the window runs from %d to %d, want 1 to %d", j.Sample.RevealFrom, j.Sample.DecideHeight, decide-exportHeight)
	}
	if _, err := fresh.ms.RevealSampleSecret(fresh.ta.Ctx, &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:]}); err != nil {
		t.Fatalf("the reveal at height %d after the restart: %v", fresh.height(), err)
	}
	fresh.beaconBlocks(net, 2, nil)
	if j := fresh.job(id); !j.Sample.Decided || len(j.Sample.Secret) == 0 || j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_BEACON {
		t.Fatalf("after the restart: drawn %t, secret kept %t, seed from %s", j.Sample.Decided, len(j.Sample.Secret) > 0, j.Sample.SeedSource)
	}
}
