package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// exportValid asserts that the module's exported state is a valid genesis
// and returns it.
func (s *suite) exportValid() *types.GenesisState {
	s.t.Helper()
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		s.t.Fatalf("the exported state is not a valid genesis: %v", err)
	}
	return gs
}

// TestSlashedProviderCannotUnbondWithLiveObligations: a 100% fraud slash
// leaves p1 only the bond its commitment on a job in auction and its won job
// that has not ended lock, all of it owed (when the lock was capped at the
// bond, it had no bond and no lock). Unbonding on the lock alone let it be removed with those
// behind: the job's auction or settlement then failed on the unknown
// provider (the queue entry was dropped and the job stuck with its escrow),
// and the exported genesis was refused ("commitment from unknown provider").
// Unbonding must wait until they end; then the provider may go, and its
// commitments stay as the bid history of jobs that are still live.
func TestSlashedProviderCannotUnbondWithLiveObligations(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	p.SlashFractionFraud = 10_000
	p.VerificationBlocks = 20
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	// p1 wins A and submits its result (it stays under verification for
	// VerificationBlocks), then wins C.
	a := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	submit := func(id uint64) {
		t.Helper()
		if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
			t.Fatal(err)
		}
	}
	submit(a)
	c := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	// B runs long enough to stay live until the end.
	msgB := s.createMsg(req, 10_000)
	msgB.ExecBlocks = 50
	res, err := s.ms.CreateJob(s.ta.Ctx, msgB)
	if err != nil {
		t.Fatal(err)
	}
	b := res.JobId
	s.commit(p1, b, 2_000)
	s.commit(p2, b, 5_000)
	submit(c)
	s.next(3) // A and C are VERIFYING, B is in REVEAL
	for _, id := range []uint64{a, c} {
		s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	}
	s.revealAndConvict(a, b, p1, p2)

	// A commitment on B (in auction) and the won job C (VERIFYING) are live.
	sn := s.snap(p1, req)
	_, err = s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: p1.String()})
	wantErr(t, err, types.ErrProviderBusy)
	s.unchanged(sn, p1, req)

	// B's auction closes (p1 is jailed: released, p2 wins); C still holds p1.
	s.next(3)
	if j := s.job(b); j.State != types.JobState_JOB_STATE_ASSIGNED || j.Winner != p2.String() {
		t.Fatalf("job B: %s won by %s, want ASSIGNED to p2", j.State, j.Winner)
	}
	s.wantState(c, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	_, err = s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: p1.String()})
	wantErr(t, err, types.ErrProviderBusy)

	// C settles on a VALID quorum: p1 has nothing live left and may go.
	if err := s.applyVerdicts(30, []types.ValidatorVerdicts{{ConsAddress: []byte("v"), Power: 21,
		Verdicts: []types.JobVerdict{{JobId: c, Verdict: types.Verdict_VERDICT_VALID}}}}); err != nil {
		t.Fatal(err)
	}
	s.wantState(c, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	if _, err := s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: p1.String()}); err != nil {
		t.Fatalf("unbond once nothing is live: %v", err)
	}
	s.next(3)
	if _, err := s.k.GetProvider(s.ta.Ctx, p1.String()); !types.ErrProviderNotFound.Is(err) {
		t.Fatalf("p1 still present after unbonding: %v", err)
	}
	// B is live and still carries p1's (losing) commitment: a valid genesis.
	if j := s.job(b); j.State != types.JobState_JOB_STATE_ASSIGNED {
		t.Fatalf("job B is %s, want ASSIGNED", j.State)
	}
	s.exportValid()
}

// TestGenesisRefusesUnknownWinnerOfLiveJob: a won job that has not ended must
// name a provider (its collateral is locked), while a losing commitment on it
// may come from a provider that has since gone.
func TestGenesisRefusesUnknownWinnerOfLiveJob(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	gs := s.exportValid()
	var loser, winner []types.Provider
	for _, pr := range gs.Providers {
		if pr.Address == p2.String() {
			loser = append(loser, pr)
		} else {
			winner = append(winner, pr)
		}
	}
	withoutLoser := *gs
	withoutLoser.Providers = winner
	if err := withoutLoser.Validate(); err != nil {
		t.Fatalf("job %d's losing commitment from a removed provider refused: %v", id, err)
	}
	withoutWinner := *gs
	withoutWinner.Providers = loser
	if err := withoutWinner.Validate(); !types.ErrInvalidGenesis.Is(err) {
		t.Fatalf("job %d's winner removed: got %v, want ErrInvalidGenesis", id, err)
	}
}
