package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

func TestLifecycleSampledSettles(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000 // every result is verified
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqBefore, p1Before, poolBefore := s.bal(req), s.bal(p1), s.poolBal()

	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	j := s.job(id)
	if j.Winner != p1.String() || !j.ClearingPrice.IsEqual(coin(4_000)) {
		t.Fatalf("winner %s at %s, want p1 at the second price 4000", j.Winner, j.ClearingPrice)
	}
	if !s.provider(p2).Locked.IsZero() || !s.provider(p1).Locked.IsEqual(coin(20_000)) {
		t.Fatal("collateral: loser must be released, winner kept")
	}

	// A non-winner's result and a wrong chunk count are refused.
	all := []sdk.AccAddress{req, p1, p2}
	sn := s.snap(all...)
	_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p2.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	wantErr(t, err, types.ErrNotWinner)
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 5})
	wantErr(t, err, types.ErrInvalidResult)
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32[:5], ChunkCount: 4})
	wantErr(t, err, types.ErrInvalidResult)
	s.unchanged(sn, all...)

	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	if j := s.job(id); j.State != types.JobState_JOB_STATE_SUBMITTED || j.Sample.Decided {
		t.Fatalf("after submit: %s decided=%t", j.State, j.Sample.Decided)
	}
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	wantErr(t, err, types.ErrWrongState)
	s.next(2) // the block after the submission draws the sample
	j = s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !j.Sample.Selected || len(j.Sample.Indices) != 4 {
		t.Fatalf("after sampling: %s %+v", j.State, j.Sample)
	}
	pv, err := s.q.PendingVerifications(s.ta.Ctx, &types.QueryPendingVerificationsRequest{})
	if err != nil || len(pv.Pending) != 1 || pv.Pending[0].JobId != id || pv.Pending[0].ProviderEndpoint != "http://127.0.0.1:8090" {
		t.Fatalf("pending verifications %+v, %v", pv, err)
	}

	// 2/3 of the power says VALID: settle.
	votes := []types.ValidatorVerdicts{
		{ConsAddress: []byte("val-a"), Power: 40, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}},
		{ConsAddress: []byte("val-a"), Power: 40, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}}, // counted once
	}
	if err := s.applyVerdicts(100, votes); err != nil {
		t.Fatal(err)
	}
	s.inv()
	if s.job(id).State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatal("settled with only 40% VALID")
	}
	votes = []types.ValidatorVerdicts{{ConsAddress: []byte("val-b"), Power: 27, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_VALID}}}}
	if err := s.applyVerdicts(100, votes); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)

	// Money: the winner gets 4000 - 10% fee, the pool the fee plus the
	// forfeits (none here), the requester pays exactly the clearing price.
	if got := s.bal(p1).Sub(p1Before); !got.Equal(math.NewInt(3_600)) {
		t.Fatalf("p1 balance change %s, want +3600", got)
	}
	if got := reqBefore.Sub(s.bal(req)); !got.Equal(math.NewInt(4_000)) {
		t.Fatalf("requester paid %s, want 4000", got)
	}
	if got := s.poolBal().Sub(poolBefore); !got.Equal(math.NewInt(400)) {
		t.Fatalf("reward pool got %s, want 400", got)
	}
	if pr := s.provider(p1); !pr.Locked.IsZero() || pr.Stats.Completed != 1 || !pr.Stats.Earned.Equal(sdk.NewCoins(coin(3_600))) {
		t.Fatalf("provider after settle %+v", pr)
	}
	st, _ := s.q.Stats(s.ta.Ctx, &types.QueryStatsRequest{})
	if !st.Stats.FeesPaid.Equal(sdk.NewCoins(coin(3_600))) || !st.Stats.ProtocolShare.Equal(sdk.NewCoins(coin(400))) {
		t.Fatalf("stats %+v", st.Stats)
	}
	s.next(5)
}

func TestFraudSlashesAndJails(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqBefore := s.bal(req)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	supplyBefore := s.ta.BankKeeper.GetSupply(s.ta.Ctx, denom).Amount
	votes := []types.ValidatorVerdicts{
		{ConsAddress: []byte("val-a"), Power: 20, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
		{ConsAddress: []byte("val-b"), Power: 14, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
	}
	if err := s.applyVerdicts(100, votes); err != nil {
		t.Fatal(err)
	}
	s.inv()
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_FRAUD)
	pr := s.provider(p1)
	// slash = max(50% of 1,000,000, collateral 20,000) = 500,000; half to the requester.
	if !pr.Bond.IsEqual(coin(500_000)) || pr.Status != types.ProviderStatus_PROVIDER_STATUS_JAILED || !pr.Locked.IsZero() {
		t.Fatalf("provider after fraud %+v", pr)
	}
	if pr.JailedUntil != s.height()+10 || pr.Stats.Slashed != 1 {
		t.Fatalf("jail %d at %d, stats %+v", pr.JailedUntil, s.height(), pr.Stats)
	}
	if got := s.bal(req).Sub(reqBefore); !got.Equal(math.NewInt(250_000)) {
		t.Fatalf("requester: %s, want full refund + 250000 compensation", got)
	}
	if burned := supplyBefore.Sub(s.ta.BankKeeper.GetSupply(s.ta.Ctx, denom).Amount); !burned.Equal(math.NewInt(250_000)) {
		t.Fatalf("burned %s, want 250000", burned)
	}
	// A recently slashed provider is sampled at 100%.
	if r := keeper.SampleRateBps(pr, s.params(), s.height()); r != 10_000 {
		t.Fatalf("sample rate after slash %d", r)
	}
	// Jailed: cannot bid, cannot unjail early, can unjail after with enough bond.
	id2 := s.create(req, 10_000)
	sn := s.snap(req, p1)
	_, err := s.ms.CommitBid(s.ta.Ctx, &types.MsgCommitBid{Provider: p1.String(), JobId: id2, Commitment: root32})
	wantErr(t, err, types.ErrProviderNotActive)
	s.unchanged(sn, req, p1)
	_, err = s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: p1.String(), Moniker: "m", Endpoint: "http://127.0.0.1:8090", Hardware: gpuHW()})
	if err != nil || s.provider(p1).Status != types.ProviderStatus_PROVIDER_STATUS_JAILED {
		t.Fatalf("early update: %v, status %s", err, s.provider(p1).Status)
	}
	s.next(11)
	sn = s.snap(p1)
	_, err = s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: p1.String(), Moniker: "m", Endpoint: "http://127.0.0.1:8090", Hardware: gpuHW()})
	wantErr(t, err, types.ErrBondTooSmall)
	s.unchanged(sn, p1)
	_, err = s.ms.UpdateProvider(s.ta.Ctx, &types.MsgUpdateProvider{Operator: p1.String(), Moniker: "m", Endpoint: "http://127.0.0.1:8090", Hardware: gpuHW(), AddBond: ptr(coin(500_000))})
	if err != nil || s.provider(p1).Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE {
		t.Fatalf("unjail: %v, status %s", err, s.provider(p1).Status)
	}
	s.inv()
}

func TestUnsampledSettlesAfterChallengeAndDispute(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqBefore, poolBefore := s.bal(req), s.poolBal()

	// Job A: unsampled (floor 0), settles after challenge_blocks.
	a := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: a, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	// Disputing before the sampling draw is refused.
	_, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: a})
	wantErr(t, err, types.ErrWrongState)
	s.next(2)
	j := s.job(a)
	if j.State != types.JobState_JOB_STATE_SUBMITTED || !j.Sample.Decided || j.Sample.Selected {
		t.Fatalf("job A after draw: %s %+v", j.State, j.Sample)
	}
	sn := s.snap(req, p2)
	_, err = s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: p2.String(), JobId: a})
	wantErr(t, err, types.ErrNotRequester)
	s.unchanged(sn, req, p2)
	s.next(3)
	s.wantState(a, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	if got := reqBefore.Sub(s.bal(req)); !got.Equal(math.NewInt(4_000)) {
		t.Fatalf("requester paid %s", got)
	}

	// Job B: disputed; no verdicts arrive: the window is extended once, then
	// the job closes inconclusive: escrow and dispute fee returned, nothing paid.
	b := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: b, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(2)
	before := s.bal(req)
	if _, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: b}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	if got := before.Sub(s.bal(req)); !got.Equal(math.NewInt(500)) {
		t.Fatalf("dispute fee %s", got)
	}
	j = s.job(b)
	if j.State != types.JobState_JOB_STATE_VERIFYING || !j.Sample.Disputed || len(j.Sample.Indices) != 4 {
		t.Fatalf("after dispute %s %+v", j.State, j.Sample)
	}
	_, err = s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: b})
	wantErr(t, err, types.ErrWrongState)
	s.next(4)
	if j := s.job(b); j.State != types.JobState_JOB_STATE_VERIFYING || !j.VerificationExtended {
		t.Fatalf("after the first window: %s, extended %t", j.State, j.VerificationExtended)
	}
	s.next(3)
	s.wantState(b, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE)
	if got := before.Sub(s.bal(req)); !got.Equal(math.NewInt(-10_000)) {
		t.Fatalf("requester net %s: the whole escrow (10000) back, dispute fee back", got)
	}
	if got := s.poolBal().Sub(poolBefore); !got.Equal(math.NewInt(400)) {
		t.Fatalf("pool got %s, want job A's 400 only", got)
	}
}

func TestTimeoutAndExpiry(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqBefore := s.bal(req)

	// No bids: EXPIRED at commit end with a full refund.
	none := s.create(req, 10_000)
	// Bids but no reveal: EXPIRED, bid_deposit (1000, not the 20000
	// collateral) forfeited to the reward pool.
	silent := s.create(req, 10_000)
	s.commit(p2, silent, 1_000)
	poolBefore := s.poolBal()
	s.next(5)
	s.wantState(none, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)
	s.wantState(silent, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_VALID_REVEAL)
	if got := s.poolBal().Sub(poolBefore); !got.Equal(math.NewInt(1_000)) {
		t.Fatalf("forfeit to pool %s", got)
	}
	if !s.bal(req).Equal(reqBefore) {
		t.Fatal("requester not refunded")
	}

	// Winner never submits: it forfeits the job's collateral (2 × 10000, no
	// jail for a first timeout) to the reward pool; the requester is refunded
	// in full and, having paid no creation fee here, compensated nothing.
	poolBefore = s.poolBal()
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	dl := s.job(id).ExecDeadline
	for s.height() <= dl {
		s.next(1)
	}
	sn := s.snap(req, p1)
	_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	wantErr(t, err, types.ErrWrongState)
	s.unchanged(sn, req, p1)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	pr := s.provider(p1)
	if !pr.Bond.IsEqual(coin(980_000)) || pr.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE || pr.Stats.Failed != 1 {
		t.Fatalf("provider after timeout %+v", pr)
	}
	if got := s.bal(req).Sub(reqBefore); !got.IsZero() {
		t.Fatalf("requester %s, want exactly its refund", got)
	}
	if got := s.poolBal().Sub(poolBefore); !got.Equal(math.NewInt(20_000)) {
		t.Fatalf("reward pool +%s, want the 20000 penalty", got)
	}
}

func TestApplyVerdictsSkipsBadEntries(t *testing.T) {
	s := newSuite(t)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	id := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	sn := s.snap(req, p1, p2)
	bad := []types.ValidatorVerdicts{
		{ConsAddress: nil, Power: 90, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
		{ConsAddress: []byte("v"), Power: 0, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
		{ConsAddress: []byte("v"), Power: 500, Verdicts: []types.JobVerdict{{JobId: id, Verdict: types.Verdict_VERDICT_INVALID}}},
		{ConsAddress: []byte("v"), Power: 90, Verdicts: []types.JobVerdict{
			{JobId: id, Verdict: types.Verdict_VERDICT_INVALID},     // job is ASSIGNED, not VERIFYING
			{JobId: 12345, Verdict: types.Verdict_VERDICT_INVALID},  // unknown job
			{JobId: id, Verdict: types.Verdict_VERDICT_UNSPECIFIED}, // unknown verdict
		}},
	}
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 100, bad); err != nil {
		t.Fatal(err)
	}
	if err := s.k.ApplyVerdicts(s.ta.Ctx, 0, bad); err != nil {
		t.Fatal(err)
	}
	s.unchanged(sn, req, p1, p2)
}

// TestSlashBelowOpenCommitments: a fraud slash of the whole bond keeps what
// the provider's other commitment locks (owed, not taken); the auction it is
// in still closes (the jailed provider is skipped, its lock released pays
// the debt) and the books stay right.
func TestSlashBelowOpenCommitments(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	p.SlashFractionFraud = 10_000
	s.setParams(p)
	req, p1, p2 := s.acc(0), s.acc(1), s.acc(2)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	a := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	b := s.create(req, 10_000)
	s.commit(p1, b, 2_000)
	s.commit(p2, b, 5_000)
	if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: a, OutputRoot: root32, ChunkCount: 4}); err != nil {
		t.Fatal(err)
	}
	s.next(3) // A is VERIFYING, B is in REVEAL
	s.revealAndConvict(a, b, p1, p2)
	s.next(3)
	j := s.job(b)
	if j.State != types.JobState_JOB_STATE_ASSIGNED || j.Winner != p2.String() || !j.ClearingPrice.IsEqual(coin(10_000)) {
		t.Fatalf("job B: %s winner %s at %s, want p2 at max_price", j.State, j.Winner, j.ClearingPrice)
	}
}
