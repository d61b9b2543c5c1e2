package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackGenesisLegacyCappedLockAfterReleaseRefused: app/upgrades.go
// promises that "a provider slashed before [slash_owed] keeps a lock capped
// at its bond, whose releases clamp at zero as before", and the new genesis
// rule (validateObligations + LegacyCappedLock) accepts such a provider only
// while its lock is exactly its bond. The first release of one of its jobs
// (clamped, as promised) leaves the lock below both its holds and its bond,
// and from then on the chain's own ExportGenesis no longer validates: an
// honest chain cannot export/import (zero-height restart, hard fork) until
// every job of that provider has ended.
func TestAttackGenesisLegacyCappedLockAfterReleaseRefused(t *testing.T) {
	s := newSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)
	a := s.createExec(req, 10_000, 40) // collateral 20,000
	b := s.createExec(req, 10_000, 40) // collateral 20,000
	s.commit(prov, a, 10_000)
	s.commit(prov, b, 10_000)
	for s.height() <= s.job(b).CommitEnd {
		s.next(1)
	}
	for _, id := range []uint64{a, b} {
		if err := s.reveal(prov, id, 10_000); err != nil {
			t.Fatal(err)
		}
	}
	for s.job(a).State != types.JobState_JOB_STATE_ASSIGNED || s.job(b).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	s.bondOf(prov, 1_000_000, 40_000, 2)

	// The state a pre-slash_owed fraud slash (on a third job) left: the bond
	// cut to 30,000 and the lock capped at it, while jobs a and b hold 40,000.
	p := s.provider(prov)
	p.Bond, p.Locked = coin(30_000), coin(30_000)
	p.Stats.Failed, p.Stats.Slashed = 1, 1 // as the slash's recordFraud left them
	if err := s.k.Providers.Set(s.ta.Ctx, p.Address, p); err != nil {
		t.Fatal(err)
	}
	// ... and burned what it cut, so that the module's books balance.
	if err := s.ta.BankKeeper.BurnCoins(s.ta.Ctx, types.ModuleName, sdk.NewCoins(coin(1_000_000-30_000))); err != nil {
		t.Fatal(err)
	}
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the legacy capped lock itself is refused: %v", err)
	}

	// Job a settles honestly; its release clamps the lock (30,000 - 20,000).
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: a, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30 && s.job(a).State != types.JobState_JOB_STATE_SETTLED; i++ {
		s.next(1) // CheckInvariants accepts the legacy lock, as genesis does
	}
	s.wantState(a, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	got := s.provider(prov)
	t.Logf("after the release: bond %s locked %s (job %d still holds 20000)", got.Bond, got.Locked, b)

	gs, err = s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("the chain's own export no longer validates after one clamped release of a legacy capped lock: %v", err)
	}
}

// createExec creates a gemm job with exec_blocks exec.
func (s *suite) createExec(req sdk.AccAddress, maxPrice int64, exec uint64) uint64 {
	s.t.Helper()
	m := s.createMsg(req, maxPrice)
	m.ExecBlocks = exec
	res, err := s.ms.CreateJob(s.ta.Ctx, m)
	if err != nil {
		s.t.Fatalf("create job: %v", err)
	}
	s.inv()
	return res.JobId
}

// TestAttackGenesisTermsChallengeWindowOverflows: JobParamTerms.Validate
// claims to check a job's terms "as Params.Validate checks the params they
// were taken from", but it checks only that the windows are positive, not
// the MaxWindowBlocksLimit (10,000,000) bound Params.Validate puts on
// challenge_blocks and verification_blocks (nor unavailable_span_blocks >= 1,
// max_dispute_chunks <= 256, max_chunk_bytes in range). A genesis whose
// ASSIGNED job carries challenge_blocks 2^63 validates; SubmitResult then
// computes ChallengeEnd = h + int64(2^63), which wraps to a height far in
// the past, so the result is settled at the next block with no challenge
// window: the requester's one remedy (a dispute) is gone and the winner is
// paid unchecked.
func TestAttackGenesisTermsChallengeWindowOverflows(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)

	j := s.job(id)
	if j.Terms == nil {
		t.Fatal("job has no terms")
	}
	terms := *j.Terms
	terms.ChallengeBlocks = 1 << 63
	j.Terms = &terms
	if err := s.k.SaveJob(s.ta.Ctx, j.State, j); err != nil {
		t.Fatal(err)
	}
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	verr := gs.Validate()
	if verr != nil {
		return // refused: holds
	}
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	h := s.height()
	s.ta.NextBlock()
	s.ta.NextBlock()
	got := s.job(id)
	_, derr := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id})
	t.Fatalf("a genesis job with challenge_blocks 2^63 (Params.Validate caps it at %d) validates; submitted at %d, its challenge_end is %d, two blocks later it is %s and the requester's dispute gets %v",
		types.MaxWindowBlocksLimit, h, got.ChallengeEnd, got.State, derr)
}

// TestAttackParamsCutReachesJobImportedWithoutTerms: Migrate9to10 gives
// every live job its terms, but InitGenesis (initJob) does not: a job
// imported from a genesis written before field 52 existed (a v9 export
// imported by the v10 binary, the export/import route of an upgrade) keeps
// Terms == nil and "runs under the params in force" (jobterms.go). The
// attack the fix closed (TestAttackParamsCompensationCutUnderRunningJob)
// then still works on it: governance sets requester_compensation_bps to 0
// while the job is ASSIGNED, the winner times out, and the honest requester
// loses the 1,000 creation fee its creation params compensated. The job is
// imported here through InitGenesis, which now gives it the genesis params
// as its terms.
func TestAttackParamsCutReachesJobImportedWithoutTerms(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, 1_000_000)

	l := s.ledger(req, prov)
	id := s.create(req, 10_000)
	s.win(prov, id, 10_000)
	// The job imported from a genesis without field 52 (the chain's own
	// export, its terms dropped, imported again).
	gs := s.exportValid()
	for i := range gs.Jobs {
		if gs.Jobs[i].Id == id {
			gs.Jobs[i].Terms = nil
		}
	}
	if err := s.k.InitGenesis(s.ta.Ctx, gs); err != nil {
		t.Fatal(err)
	}

	p := s.params()
	p.RequesterCompensationBps = 0
	s.setParams(p)

	for s.height() <= s.job(id).ExecDeadline {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	l.delta("requester (the compensation of the params the job was created and imported under)", req, 0)
}

// TestAttackParamsSlashWindowCutBeforeDraw: the fix put the sample floor in
// the job's terms (TestAttackParamsSampleFloorCutBeforeDraw) but the draw's
// rate (SampleRateBps) still reads jail_blocks and
// recent_slash_window_multiplier from the params in force at the draw: a
// winner slashed for fraud a few blocks ago is sampled at 100% under the
// params the job was created and won under, and a governance change to
// recent_slash_window_multiplier = 0 (valid params) between its submission
// and the draw drops it to the floor (0 here): the recently convicted
// winner's result is settled unchecked and paid.
func TestAttackParamsSlashWindowCutBeforeDraw(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	pr := s.slashedNow(p1) // a fraud slash one block ago
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if got := sampleRateOf(s, p1); got != 10_000 {
		t.Fatalf("setup: p1 sampled at %d bps, want 10000", got)
	}
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	p := s.params()
	p.RecentSlashWindowMultiplier = 0
	s.setParams(p)
	s.next(2) // the draw
	if j := s.job(id); !j.Sample.Selected || j.State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("a winner convicted of fraud %d blocks before its submission, sampled at 100%% under the job's params: %s, selected %t — its result goes unverified",
			s.height()-pr.Stats.LastSlashHeight, j.State, j.Sample.Selected)
	}
}

func sampleRateOf(s *suite, a sdk.AccAddress) uint32 {
	return keeper.SampleRateBps(s.provider(a), s.params(), s.height())
}

// TestAttackParamsBidDepositRaisedUnderRunningAuction: a job's terms keep
// collateral_ratio_bps (the commitment's lock), but the forfeit of an
// unrevealed commitment is bid_deposit read live at the auction's close
// (sweepJob -> sweepBatch -> forfeitDeposit(params.BidDeposit), only capped
// at the lock). A provider commits under bid_deposit 1,000 (its
// lock 20,000 = 2 x max_price), cannot reveal, and a governance change that
// raised bid_deposit to 20,000 meanwhile takes its whole 20,000 lock instead
// of the 1,000 it bid under (and a cut to 1 makes not revealing free, the
// last-revealer option the deposit exists to price).
func TestAttackParamsBidDepositRaisedUnderRunningAuction(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	const bond = 1_000_000
	s.register(p1, bond)
	s.register(p2, bond)
	id := s.create(req, 10_000)
	s.commit(p1, id, 3_000)
	s.commit(p2, id, 4_000)
	s.bondOf(p1, bond, 20_000, 1)

	p := s.params()
	p.BidDeposit = coin(20_000)
	s.setParams(p)

	s.next(3) // REVEAL
	if err := s.reveal(p2, id, 4_000); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10 && s.job(id).State != types.JobState_JOB_STATE_ASSIGNED; i++ {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_ASSIGNED, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	// Under the bid_deposit it committed under, p1 forfeits 1,000.
	s.bondOf(p1, bond-1_000, 0, 0)
}

// TestAttackParamsDisputeFeeRaisedBarsDispute: the fix admits a dispute
// under the job's terms so that "the remedy the requester paid for at
// creation is not withdrawn by a later params change"
// (TestAttackParamsWorkLimitShrunkBarsDispute), but leaves the dispute fee
// the one in force (results.go DisputeResult). A governance change that
// raises dispute_fee above what the requester holds while its job sits in
// the challenge window withdraws the remedy just the same: the requester,
// which created the job under a 500 dispute fee and holds far more, cannot
// dispute, and the (possibly fraudulent) result settles and is paid.
func TestAttackParamsDisputeFeeRaisedBarsDispute(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	if j := s.job(id); j.State != types.JobState_JOB_STATE_SUBMITTED || !j.Sample.Decided || s.height() > j.ChallengeEnd {
		t.Fatalf("job %s decided=%t at %d (challenge end %d)", j.State, j.Sample.Decided, s.height(), j.ChallengeEnd)
	}
	bal := s.bal(req)
	if bal.LT(math.NewInt(500)) {
		t.Fatalf("setup: requester holds %s", bal)
	}
	p := s.params()
	p.DisputeFee = sdk.NewCoin(denom, bal.AddRaw(1))
	s.setParams(p)

	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id}); err != nil {
		t.Fatalf("the requester (holding %s, created under a 500 dispute fee) cannot dispute after the params change: %v", bal, err)
	}
}
