package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
	"github.com/aichain/aichain/x/internal/modkit"
)

// qkey is a queue key by value (collections.Pair holds pointers).
type qkey[K comparable] struct {
	h  int64
	id K
}

// queueKeys lists a height queue's keys.
func queueKeys[K comparable](t *testing.T, ctx sdk.Context, q modkit.Queue[int64, K]) map[qkey[K]]bool {
	t.Helper()
	it, err := q.Iterate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := it.Keys()
	if err != nil {
		t.Fatal(err)
	}
	out := map[qkey[K]]bool{}
	for _, k := range keys {
		out[qkey[K]{k.K1(), k.K2()}] = true
	}
	return out
}

// wantQueuesMatch asserts that every live job and unbonding provider has
// exactly its queue entry at its stored deadline (as InitGenesis builds them).
func (s *suite) wantQueuesMatch(ctx sdk.Context, jobs []uint64, provs []sdk.AccAddress) {
	s.t.Helper()
	queues := map[string]map[qkey[uint64]]bool{
		"commit": queueKeys(s.t, ctx, s.k.CommitEndQueue), "reveal": queueKeys(s.t, ctx, s.k.RevealEndQueue),
		"exec": queueKeys(s.t, ctx, s.k.ExecDeadlineQueue), "challenge": queueKeys(s.t, ctx, s.k.ChallengeEndQueue),
		"verification": queueKeys(s.t, ctx, s.k.VerificationEndQueue), "sample": queueKeys(s.t, ctx, s.k.SampleQueue),
	}
	want := map[string]int{}
	for _, id := range jobs {
		j, err := s.k.GetJob(ctx, id)
		if err != nil {
			s.t.Fatal(err)
		}
		var q string
		var h int64
		switch j.State {
		case types.JobState_JOB_STATE_OPEN:
			q, h = "commit", j.CommitEnd
		case types.JobState_JOB_STATE_REVEAL:
			q, h = "reveal", j.RevealEnd
		case types.JobState_JOB_STATE_ASSIGNED:
			q, h = "exec", j.ExecDeadline
		case types.JobState_JOB_STATE_SUBMITTED:
			q, h = "challenge", j.ChallengeEnd
			if !j.Sample.Decided {
				q, h = "sample", j.Sample.DecideHeight
			}
		case types.JobState_JOB_STATE_VERIFYING:
			q, h = "verification", j.VerificationEnd
		default:
			continue
		}
		if !queues[q][qkey[uint64]{h, id}] {
			s.t.Fatalf("job %d (%s): no %s queue entry at its deadline %d; queue %v", id, j.State, q, h, queues[q])
		}
		want[q]++
	}
	for q, keys := range queues {
		if len(keys) != want[q] {
			s.t.Fatalf("%s queue has %d entries, want %d: %v", q, len(keys), want[q], keys)
		}
	}
	unbonding := queueKeys(s.t, ctx, s.k.UnbondingQueue)
	for _, a := range provs {
		p, err := s.k.GetProvider(ctx, a.String())
		if err != nil {
			s.t.Fatal(err)
		}
		if !unbonding[qkey[string]{p.UnbondingEnd, p.Address}] {
			s.t.Fatalf("provider %s: no unbonding entry at %d: %v", p.Address, p.UnbondingEnd, unbonding)
		}
	}
	if len(unbonding) != len(provs) {
		s.t.Fatalf("unbonding queue %v, want %d entries", unbonding, len(provs))
	}
}

// TestPrepareForZeroHeight: jobs in every live state, a jailed provider and
// an unbonding one; after the rebase at the export height H every deadline
// is its old value minus H (0 when due), history is 0, each queue key still
// equals its deadline, the invariants hold and the genesis validates.
func TestPrepareForZeroHeight(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.SampleRateFloorBps = 10_000
	p.ChallengeBlocks, p.VerificationBlocks, p.JailBlocks, p.UnbondingBlocks = 60, 60, 60, 50
	s.setParams(p)
	req, p1, p2, p3, p4 := s.acc(0), s.acc(1), s.acc(2), s.acc(3), s.acc(4)
	for _, a := range []sdk.AccAddress{p1, p2, p3, p4} {
		s.register(a, 1_000_000)
	}
	createWindows := func(commit, reveal, exec uint64) uint64 {
		t.Helper()
		m := s.createMsg(req, 10_000)
		m.CommitBlocks, m.RevealBlocks, m.ExecBlocks = commit, reveal, exec
		res, err := s.ms.CreateJob(s.ta.Ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return res.JobId
	}
	// Fraud: p3 is slashed and jailed.
	fraud := s.runAuction(req, p3, p2, 3_000, 4_000, 10_000)
	submit := func(pr sdk.AccAddress, id uint64) {
		t.Helper()
		if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: pr.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
			t.Fatal(err)
		}
	}
	submit(p3, fraud)
	s.next(2)
	if err := s.applyVerdicts(100, []types.ValidatorVerdicts{{ConsAddress: []byte("v"), Power: 50,
		Verdicts: []types.JobVerdict{{JobId: fraud, Verdict: types.Verdict_VERDICT_INVALID}}}}); err != nil {
		t.Fatal(err)
	}
	verifying := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	submit(p1, verifying)
	s.next(2) // sampled: VERIFYING
	assigned := createWindows(2, 2, 50)
	s.commit(p2, assigned, 3_000)
	s.next(3)
	if err := s.reveal(p2, assigned, 3_000); err != nil {
		t.Fatal(err)
	}
	s.next(2) // ASSIGNED, executing for 50 blocks
	submitted := s.runAuction(req, p1, p2, 3_000, 4_000, 10_000)
	submit(p1, submitted) // the draw runs in the block after the export
	reveal := createWindows(2, 20, 3)
	s.commit(p2, reveal, 3_000)
	s.next(3) // REVEAL
	open := createWindows(20, 2, 3)
	s.commit(p1, open, 3_000)
	if _, err := s.ms.UnbondProvider(s.ta.Ctx, &types.MsgUnbondProvider{Operator: p4.String()}); err != nil {
		t.Fatal(err)
	}
	s.next(1)
	// A result submitted in the export block, whose draw has not run.
	wantState := map[uint64]types.JobState{
		fraud: types.JobState_JOB_STATE_FAILED, verifying: types.JobState_JOB_STATE_VERIFYING,
		assigned: types.JobState_JOB_STATE_ASSIGNED, submitted: types.JobState_JOB_STATE_VERIFYING,
		reveal: types.JobState_JOB_STATE_REVEAL, open: types.JobState_JOB_STATE_OPEN,
	}
	undecided := s.runAuction(req, p2, p1, 3_000, 4_000, 10_000)
	submit(p2, undecided)
	s.next(1)
	wantState[undecided] = types.JobState_JOB_STATE_SUBMITTED
	ids := []uint64{fraud, verifying, assigned, submitted, reveal, open, undecided}
	for id, st := range wantState {
		if j := s.job(id); j.State != st {
			t.Fatalf("setup: job %d is %s, want %s", id, j.State, st)
		}
	}
	if s.job(undecided).Sample.Decided {
		t.Fatal("setup: the last submission's draw already ran")
	}

	// The export context: the last committed height.
	exportH := s.height() - 1
	ctx := s.ta.Ctx.WithBlockHeight(exportH)
	s.wantQueuesMatch(ctx, ids, []sdk.AccAddress{p4})
	before := map[uint64]types.Job{}
	for _, id := range ids {
		before[id] = s.job(id)
	}
	jailedBefore, unbondingBefore := s.provider(p3), s.provider(p4)
	if jailedBefore.Status != types.ProviderStatus_PROVIDER_STATUS_JAILED || jailedBefore.JailedUntil <= exportH {
		t.Fatalf("setup: p3 %s until %d, export at %d", jailedBefore.Status, jailedBefore.JailedUntil, exportH)
	}

	// A closed recent-slash window is reset to 0 (checked on a throwaway copy).
	closedCtx, _ := ctx.CacheContext()
	cp := s.params()
	cp.JailBlocks, cp.RecentSlashWindowMultiplier = 1, 1
	if err := s.k.Params.Set(closedCtx, cp); err != nil {
		t.Fatal(err)
	}
	if err := s.k.PrepareForZeroHeight(closedCtx); err != nil {
		t.Fatal(err)
	}
	if pr, err := s.k.GetProvider(closedCtx, p3.String()); err != nil || pr.Stats.LastSlashHeight != 0 {
		t.Fatalf("closed window: last_slash_height %d, %v", pr.Stats.LastSlashHeight, err)
	}

	if err := s.k.PrepareForZeroHeight(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.k.CheckInvariants(ctx); err != nil {
		t.Fatalf("invariants after the rebase: %v", err)
	}
	rb := func(h int64) int64 { return common.RebaseHeight(h, exportH) }
	for _, id := range ids {
		b, j := before[id], s.job(id)
		if j.State != b.State || j.CommitEnd != rb(b.CommitEnd) || j.RevealEnd != rb(b.RevealEnd) ||
			j.ExecDeadline != rb(b.ExecDeadline) || j.ChallengeEnd != rb(b.ChallengeEnd) ||
			j.VerificationEnd != rb(b.VerificationEnd) || j.CreatedHeight != 0 || j.ClosedHeight != 0 || j.Result.SubmittedHeight != 0 {
			t.Fatalf("job %d at export %d:\nbefore %+v\nafter  %+v", id, exportH, b, j)
		}
	}
	// Deadlines still ahead keep the blocks they had left.
	if j := s.job(open); j.CommitEnd != before[open].CommitEnd-exportH || j.CommitEnd < 1 {
		t.Fatalf("open job commit_end %d, was %d at export %d", j.CommitEnd, before[open].CommitEnd, exportH)
	}
	if j := s.job(verifying); j.VerificationEnd != before[verifying].VerificationEnd-exportH || j.VerificationEnd < 1 {
		t.Fatalf("verification_end %d, was %d at export %d", j.VerificationEnd, before[verifying].VerificationEnd, exportH)
	}
	pr3, pr4 := s.provider(p3), s.provider(p4)
	if pr3.JailedUntil != jailedBefore.JailedUntil-exportH || pr3.Stats.LastSlashHeight != 1 || pr3.Status != jailedBefore.Status {
		t.Fatalf("jailed provider after the rebase %+v (jailed until %d before)", pr3, jailedBefore.JailedUntil)
	}
	if pr4.UnbondingEnd != unbondingBefore.UnbondingEnd-exportH || pr4.Status != types.ProviderStatus_PROVIDER_STATUS_UNBONDING {
		t.Fatalf("unbonding provider after the rebase %+v (end %d before)", pr4, unbondingBefore.UnbondingEnd)
	}
	s.wantQueuesMatch(ctx, ids, []sdk.AccAddress{p4})
	commits, err := s.k.BidCommits.Iterate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := commits.Values()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Height != 0 {
			t.Fatalf("commitment of %s on job %d at height %d, want 0", c.Provider, c.JobId, c.Height)
		}
	}
	gs, err := s.k.ExportGenesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("genesis after the rebase: %v", err)
	}
	// The undecided result is drawn in block 1 (its sample queue key, the
	// draw's height, is 1).
	if err := s.k.BeginBlocker(ctx.WithBlockHeight(1)); err != nil {
		t.Fatal(err)
	}
	if j := s.job(undecided); !j.Sample.Decided {
		t.Fatalf("block 1 did not draw the sample of the result submitted at the export height: %+v", j.Sample)
	}
}

// TestPrepareForZeroHeightKeepsDueEntriesDue: an entry the per-block cap
// carried over past the export (its deadline ≤ H) gets deadline 0 and fires
// in block 1.
func TestPrepareForZeroHeightKeepsDueEntriesDue(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.MaxQueueItemsPerBlock = 1
	s.setParams(p)
	a, b := s.create(s.acc(0), 1_000), s.create(s.acc(0), 1_000)
	due := s.job(a).CommitEnd
	for s.height() <= due {
		s.next(1)
	}
	exportH := s.height() - 1
	if s.job(a).State != types.JobState_JOB_STATE_EXPIRED || s.job(b).State != types.JobState_JOB_STATE_OPEN || s.job(b).CommitEnd > exportH {
		t.Fatalf("setup: jobs %s and %s (commit_end %d, export %d)", s.job(a).State, s.job(b).State, s.job(b).CommitEnd, exportH)
	}
	ctx := s.ta.Ctx.WithBlockHeight(exportH)
	if err := s.k.PrepareForZeroHeight(ctx); err != nil {
		t.Fatal(err)
	}
	if j := s.job(b); j.CommitEnd != 0 || j.RevealEnd != common.RebaseHeight(due+2, exportH) {
		t.Fatalf("carried-over job: commit_end %d reveal_end %d", j.CommitEnd, j.RevealEnd)
	}
	if has, err := s.k.CommitEndQueue.Has(ctx, collections.Join(int64(0), b)); err != nil || !has {
		t.Fatalf("carried-over entry not at 0: %t %v", has, err)
	}
	if err := s.k.EndBlocker(ctx.WithBlockHeight(1)); err != nil {
		t.Fatal(err)
	}
	s.wantState(b, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_NO_BIDS)
	s.inv()
}
