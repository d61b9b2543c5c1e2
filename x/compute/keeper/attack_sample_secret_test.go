package keeper_test

import (
	"crypto/sha256"
	"errors"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// committedJob creates a job of req with the commitment to secret, which
// prov wins at verifyPrice (ASSIGNED, 60 blocks to run).
func (s *suite) committedJob(req, prov sdk.AccAddress, secret []byte) uint64 {
	s.t.Helper()
	msg := s.createMsg(req, verifyPrice)
	msg.ExecBlocks = 60
	msg.SampleCommitment = types.SampleCommitment(secret)
	res, err := s.ms.CreateJob(s.ta.Ctx, msg)
	if err != nil {
		s.t.Fatal(err)
	}
	s.win(prov, res.JobId, verifyPrice)
	return res.JobId
}

// restartInWindow runs blocks until two heights inside the reveal window
// of job id's draw, exports its state for a zero-height restart and
// imports it into a fresh suite (the module account funded as it was),
// whose first blocks stand for those after the export. It returns the
// fresh suite and the job's decide_height and the height at the export.
func (s *suite) restartInWindow(net *beaconNet, id uint64) (fresh *suite, decide, exportHeight int64) {
	s.t.Helper()
	t := s.t
	s.beaconBlocks(net, int(s.job(id).Sample.RevealFrom-s.height())+2, nil) // inside the window
	exportHeight, decide = s.height(), s.job(id).Sample.DecideHeight
	held := s.moduleBal()
	must(t, s.k.PrepareForZeroHeight(s.ta.Ctx))
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	must(t, gs.Validate())
	fresh = newSuite(t)
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	must(t, fresh.ta.BankKeeper.SendCoinsFromAccountToModule(fresh.ta.Ctx, fresh.acc(5), types.ModuleName, sdk.NewCoins(sdk.NewCoin(denom, held))))
	return fresh, decide, exportHeight
}

// friendWithholdsUntilTheWindow runs the blocks after an event (a
// submission or a dispute) at height at until the reveal window of job id's
// draw opens, the friend (validator 0) withholding its share of at+1 where
// out has bit 0 and of at+2 where it has bit 1. On the way it checks that a
// reveal of secret before the draw's beacons are final is refused, and
// once the window opens that it runs SampleRevealBlocks from this height.
// It returns the friend's filter and the reveal.
func (s *suite) friendWithholdsUntilTheWindow(net *beaconNet, id uint64, at int64, out int, req sdk.AccAddress, secret []byte) (func(i int, j int64) bool, *types.MsgRevealSampleSecret) {
	s.t.Helper()
	withhold := func(i int, j int64) bool {
		return i != 0 || !((j == at+1 && out&1 != 0) || (j == at+2 && out&2 != 0))
	}
	s.beaconBlocks(net, int(1+s.params().BeaconWindowBlocks), withhold)
	reveal := &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret}
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, reveal); !errors.Is(err, types.ErrRevealNotOpen) {
		s.t.Fatalf("a reveal at height %d, before the beacons of %d and %d are final: %v, want ErrRevealNotOpen", s.height(), at+1, at+2, err)
	}
	s.beaconBlocks(net, 1, withhold)
	if j := s.job(id); j.Sample.RevealFrom != s.height() || j.Sample.DecideHeight != s.height()+types.SampleRevealBlocks {
		s.t.Fatalf("at height %d the draw waits for the secret from %d until %d: reveal_from %d, decide_height %d",
			s.height(), s.height(), s.height()+types.SampleRevealBlocks, j.Sample.RevealFrom, j.Sample.DecideHeight)
	}
	return withhold, reveal
}

func (s *suite) submit(prov sdk.AccAddress, id uint64) {
	s.t.Helper()
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: s.job(id).ExpectedChunkCount}); err != nil {
		s.t.Fatal(err)
	}
}

// TestAttackRaisedBeaconWindowShowsTheFriendTheSecret: the reveal window
// opened at the height where the draw's beacons were final under the
// beacon_window_blocks of the submission. A governance raise of the window
// after the submission keeps their rounds open longer, and the reveal was
// taken at reveal_from all the same: the secret was public while the
// provider's friend could still add or withhold its shares of both heights,
// and it chose, knowing the secret, the one of its 4 draws that leaves the
// result unsampled. A reveal now waits for the rounds of the draw's heights
// to close; the friend, which withheld its shares waiting for the secret,
// gets the draw it could not see.
func TestAttackRaisedBeaconWindowShowsTheFriendTheSecret(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = types.DefaultParams().SampleRateFloorBps // 20%
	s.setParams(p)
	net := newBeaconNet(t, 4)
	net.powers[0] = 1 // the provider's friend: 1 of 31
	s.install(net)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	secret := sha256.Sum256([]byte("the requester's secret"))
	id := s.committedJob(req, prov, secret[:])
	rate := p.SampleRateFloorBps
	// mixed: the draw with the secret of a result submitted at sub when the
	// friend's shares of sub+1 (out bit 0) and sub+2 (bit 1) are left out.
	mixed := func(sub int64, out int) bool {
		var beacons [][]byte
		for b, h := range []int64{sub + 1, sub + 2} {
			in := []int{1, 2, 3}
			if out&(1<<b) == 0 {
				in = append(in, 0)
			}
			beacons = append(beacons, net.expectedBeacon(h, in...))
		}
		return types.SampleSelected(types.SecretSeed(types.BeaconSeed(id, beacons), secret[:]), rate)
	}
	// escape: the friend's choice, knowing the secret, that leaves the
	// result unsampled where withholding both (blind) samples it, or -1.
	escape := func(sub int64) int {
		for out := 0; out < 3 && mixed(sub, 3); out++ {
			if !mixed(sub, out) {
				return out
			}
		}
		return -1
	}
	s.beaconBlocks(net, 1, nil)
	for escape(s.height()) < 0 {
		s.beaconBlocks(net, 1, nil)
	}
	sub, out := s.height(), escape(s.height())
	l := s.ledger(req, prov)
	s.submit(prov, id)
	p.BeaconWindowBlocks += 3 // governance raises the window after the submission
	s.setParams(p)
	revealed := false
	friend := func(i int, j int64) bool {
		if i != 0 || (j != sub+1 && j != sub+2) {
			return true
		}
		// Withheld until the secret is public, then its chosen shares.
		return revealed && !((j == sub+1 && out&1 != 0) || (j == sub+2 && out&2 != 0))
	}
	reveal := &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:]}
	s.beaconBlocks(net, int(s.job(id).Sample.RevealFrom-s.height()), friend)
	for i := 0; i < types.SampleRevealBlocks && !s.job(id).Sample.Decided; i++ {
		if !revealed {
			s.record(s.ta.Ctx, net, friend) // the block's PreBlocker runs before its transactions
			_, err := s.ms.RevealSampleSecret(s.ta.Ctx, reveal)
			if err != nil && !errors.Is(err, types.ErrRevealNotOpen) {
				t.Fatal(err)
			}
			revealed = err == nil
		}
		s.beaconBlocks(net, 1, friend)
	}
	j := s.job(id)
	if !revealed || j.State != types.JobState_JOB_STATE_VERIFYING || !j.Sample.Selected {
		t.Fatalf("the friend saw the secret before its shares of %d and %d were due and kept the result out of verification "+
			"(choice %d of 4): revealed %t, job %s", sub+1, sub+2, out, revealed, j.State)
	}
	l.delta("provider", prov, 0)
	l.delta("requester", req, 0)
}

// TestAttackRequesterChoosesTheBlockOfAHeaderHashDraw: a draw that does not
// come from beacons (the beacon off, or no beacon of its heights available)
// comes from the header hash of the block that runs it, which that block's
// proposer chooses. Without a commitment that block is fixed by the
// submission; with one, the reveal window opened all the same and the
// requester, revealing at a height of its choosing, chose the block, and so
// the proposer (its friend) that draws its honest provider's result into
// verification, or held the provider's payment SampleRevealBlocks longer.
// The secret blinds nothing there (it is public when that block is made):
// no window opens without the beacon, and a reveal is refused unless the
// draw's beacons are final and one of them available.
func TestAttackRequesterChoosesTheBlockOfAHeaderHashDraw(t *testing.T) {
	s := newSuite(t) // no beacon key: the beacon is not active
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	secret := sha256.Sum256([]byte("the requester's secret"))
	l := s.ledger(req, prov)
	id := s.committedJob(req, prov, secret[:])
	plain := s.create(req, verifyPrice)
	s.win(prov, plain, verifyPrice)
	s.submit(prov, id)
	s.submit(prov, plain)
	s.next(1)
	reveal := &types.MsgRevealSampleSecret{Requester: req.String(), JobId: id, Secret: secret[:]}
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, reveal); !errors.Is(err, types.ErrRevealNotOpen) {
		t.Fatalf("beacon off: a reveal at height %d moved the header-hash draw to the block of the requester's choosing: %v, want ErrRevealNotOpen", s.height(), err)
	}
	for s.job(plain).State == types.JobState_JOB_STATE_SUBMITTED {
		s.next(1)
	}
	s.wantState(plain, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	l.delta("provider", prov, 2*(verifyPrice-verifyPrice/10))
	l.delta("requester", req, -2*verifyPrice) // the reveal deposit back

	// The beacon on, both beacons of the draw unavailable (every share
	// withheld): the draw falls back to the header hash.
	net, _ := s.finalBeacons()
	l = s.ledger(req, prov)
	id = s.committedJob(req, prov, secret[:])
	sub := s.height()
	s.submit(prov, id)
	none := func(_ int, j int64) bool { return j != sub+1 && j != sub+2 }
	s.beaconBlocks(net, int(s.job(id).Sample.RevealFrom-s.height()), none)
	s.record(s.ta.Ctx, net, none)
	if _, err := s.ms.RevealSampleSecret(s.ta.Ctx, reveal); !errors.Is(err, types.ErrRevealNotOpen) {
		t.Fatalf("no beacon available: a reveal at height %d moved the header-hash draw to the block of the requester's choosing: %v, want ErrRevealNotOpen", s.height(), err)
	}
	for s.job(id).State == types.JobState_JOB_STATE_SUBMITTED {
		s.beaconBlocks(net, 1, nil)
	}
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	if j := s.job(id); j.Sample.SeedSource != types.SeedSource_SEED_SOURCE_HEADER_HASH {
		t.Fatalf("the draw's seed came from %s, want the header hash", j.Sample.SeedSource)
	}
	l.delta("provider", prov, verifyPrice-verifyPrice/10)
	l.delta("requester", req, -verifyPrice) // its reveal deposit back: it could not reveal
}

// TestAttackRequesterPicksTheSampledOfItsTwoDraws: once the draw's beacons
// are final its requester knows both draws, the beacons' alone (no reveal)
// and the one mixed with its secret (a reveal), and chose: where only the
// beacons' samples its honest provider's result it kept its secret and had
// the result checked for nothing, which a dispute sells for dispute_fee;
// at the 20 % floor that made 36 % of its results checked for the 20 % its
// creation paid the verdicts of. A committed job now escrows dispute_fee,
// returned with the rest of the escrow, except where the draw its requester
// left unrevealed samples the result: then it is the deposit of a dispute
// (to the reward pool if the result is valid, back if not).
func TestAttackRequesterPicksTheSampledOfItsTwoDraws(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = types.DefaultParams().SampleRateFloorBps // 20%
	s.setParams(p)
	net, _ := s.finalBeacons()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	secret := sha256.Sum256([]byte("the requester's secret"))
	l := s.ledger(req, prov)
	id := s.committedJob(req, prov, secret[:])
	rate := p.SampleRateFloorBps
	beacons := func(sub int64) [32]byte {
		return types.BeaconSeed(id, [][]byte{net.expectedBeacon(sub+1, 0, 1, 2, 3), net.expectedBeacon(sub+2, 0, 1, 2, 3)})
	}
	for sub := s.height(); !types.SampleSelected(beacons(sub), rate) ||
		types.SampleSelected(types.SecretSeed(beacons(sub), secret[:]), rate); sub = s.height() {
		s.beaconBlocks(net, 1, nil)
	}
	s.submit(prov, id)
	for !s.job(id).Sample.Decided {
		s.beaconBlocks(net, 1, nil) // the requester keeps its secret
	}
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'b', 20)
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	fee := p.DisputeFee.Amount.Int64()
	l.delta("requester", req, -verifyPrice-creationFee-fee)
	l.delta("provider", prov, verifyPrice-verifyPrice/10)
	l.delta("reward pool", poolAddr(), creationFee+verifyPrice/10+fee)
	l.delta("module account", moduleAddr(), 0)
}
