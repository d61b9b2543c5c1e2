package keeper_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aichain/aichain/testutil/events"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// twoSubmittedJobs runs jobs A (max_price 100,000) and B (10,000) side by
// side: p1 wins both at p2's 4,000 and submits both results in one block;
// neither is sampled (floor 0), so both challenge windows end at the same
// height, which it returns with the ids.
func (s *suite) twoSubmittedJobs(req, p1, p2 sdk.AccAddress) (a, b uint64, end int64) {
	s.t.Helper()
	a, b = s.create(req, 100_000), s.create(req, 10_000)
	for _, id := range []uint64{a, b} {
		s.commit(p1, id, 3_000)
		s.commit(p2, id, 4_000)
	}
	s.next(3)
	for _, id := range []uint64{a, b} {
		if err := s.reveal(p1, id, 3_000); err != nil {
			s.t.Fatal(err)
		}
		if err := s.reveal(p2, id, 4_000); err != nil {
			s.t.Fatal(err)
		}
	}
	s.next(2)
	for _, id := range []uint64{a, b} {
		if _, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: p1.String(), JobId: id, OutputRoot: root32, ChunkCount: 4}); err != nil {
			s.t.Fatal(err)
		}
	}
	s.next(2) // the draw: unsampled, challenge windows open
	ja, jb := s.job(a), s.job(b)
	if !ja.Sample.Decided || ja.Sample.Selected || ja.ChallengeEnd != jb.ChallengeEnd {
		s.t.Fatalf("jobs after the draw: %+v / %+v", ja.Sample, jb.Sample)
	}
	return a, b, ja.ChallengeEnd
}

// TestQueueEntryRetried: job A's settlement fails because the module account
// cannot pay its refund (the test moved the coins away). Its entry is
// re-queued at h+1 with an EventQueueEntryRetried, nothing of its partial
// payout (the winner's pay, the protocol fee) is kept, job B due in the same
// block settles, A fails again in the next block (re-queued, never dropped),
// and settles to the coin once the coins are back.
func TestQueueEntryRetried(t *testing.T) {
	s := newSuite(t)
	req, p1, p2, holder := s.acc(0), s.acc(1), s.acc(2), s.acc(5)
	s.register(p1, 1_000_000)
	s.register(p2, 1_000_000)
	reqStart, p1Start, poolStart, holderStart := s.bal(req), s.bal(p1), s.poolBal(), s.bal(holder)
	a, b, end := s.twoSubmittedJobs(req, p1, p2)
	for s.height() < end {
		s.next(1)
	}
	// Leave 15,000 in the module account: B's settlement needs 10,000; A's
	// pays the winner 3,600 and the pool 400, then fails on its 96,000 refund.
	moved := s.moduleBal().SubRaw(15_000)
	must(t, s.ta.BankKeeper.SendCoinsFromModuleToAccount(s.ta.Ctx, types.ModuleName, holder, sdk.NewCoins(sdk.NewCoin(denom, moved))))

	ctx := s.ta.Ctx.WithEventManager(sdk.NewEventManager())
	must(t, s.k.EndBlocker(ctx))
	h := ctx.BlockHeight()
	s.wantState(a, types.JobState_JOB_STATE_SUBMITTED, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.wantState(b, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	wantQueued(t, s, a, h+1)
	evs := events.Typed[common.EventQueueEntryRetried](t, ctx)
	if len(evs) != 1 || evs[0].Module != "compute" || evs[0].Queue != "challenge_end_queue" || evs[0].Id != fmt.Sprint(a) ||
		evs[0].Due != fmt.Sprint(h) || evs[0].RetryAt != fmt.Sprint(h+1) || !strings.Contains(evs[0].Error, "insufficient funds") {
		t.Fatalf("retry events %+v", evs)
	}
	// Only B's settlement moved coins: 3,600 to p1, 400 to the pool, 6,000 back to the requester.
	afterB := func() {
		t.Helper()
		wantBal(t, "requester", s.bal(req), reqStart.SubRaw(100_000+4_000))
		wantBal(t, "p1", s.bal(p1), p1Start.AddRaw(3_600))
		wantBal(t, "reward pool", s.poolBal(), poolStart.AddRaw(400))
		wantBal(t, "module", s.moduleBal(), math.NewInt(5_000))
		pr := s.provider(p1)
		if !pr.Locked.IsEqual(coin(200_000)) || pr.Stats.Completed != 1 || !pr.Stats.Earned.Equal(sdk.NewCoins(coin(3_600))) {
			t.Fatalf("p1 after B only: %+v", pr)
		}
	}
	afterB()

	// Block h (its own EndBlocker finds nothing due), then block h+1: A is
	// retried, fails again, and is re-queued at h+2.
	s.ta.NextBlock()
	s.ta.NextBlock()
	s.wantState(a, types.JobState_JOB_STATE_SUBMITTED, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	wantQueued(t, s, a, h+2)
	afterB()

	// The coins come back: A settles in the next block, to the coin.
	must(t, s.ta.BankKeeper.SendCoinsFromAccountToModule(s.ta.Ctx, holder, types.ModuleName, sdk.NewCoins(sdk.NewCoin(denom, moved))))
	s.next(1)
	s.wantState(a, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	wantBal(t, "requester", s.bal(req), reqStart.SubRaw(4_000+4_000))
	wantBal(t, "p1", s.bal(p1), p1Start.AddRaw(7_200))
	wantBal(t, "reward pool", s.poolBal(), poolStart.AddRaw(800))
	wantBal(t, "holder", s.bal(holder), holderStart)
	wantBal(t, "module", s.moduleBal(), math.NewInt(2_000_000))
	if pr := s.provider(p1); !pr.Locked.IsZero() || pr.Stats.Completed != 2 {
		t.Fatalf("p1 after both: %+v", pr)
	}
	it, err := s.k.ChallengeEndQueue.Iterate(s.ta.Ctx, nil)
	must(t, err)
	if keys, err := it.Keys(); err != nil || len(keys) != 0 {
		t.Fatalf("challenge queue holds %v (%v)", keys, err)
	}
}

// TestQueueEntryFiledEarly: an entry due before its job's deadline is filed
// again at the deadline, not handled.
func TestQueueEntryFiledEarly(t *testing.T) {
	s := newSuite(t)
	id := s.create(s.acc(0), 1_000)
	ctx, _ := s.ta.Ctx.CacheContext()
	h, commitEnd := ctx.BlockHeight(), s.job(id).CommitEnd
	must(t, s.k.CommitEndQueue.Remove(ctx, collections.Join(commitEnd, id)))
	must(t, s.k.CommitEndQueue.Set(ctx, collections.Join(h, id)))
	must(t, s.k.EndBlocker(ctx))
	if j, err := s.k.GetJob(ctx, id); err != nil || j.State != types.JobState_JOB_STATE_OPEN {
		t.Fatalf("job %+v (%v), want OPEN", j, err)
	}
	for key, want := range map[int64]bool{h: false, commitEnd: true} {
		if has, err := s.k.CommitEndQueue.Has(ctx, collections.Join(key, id)); err != nil || has != want {
			t.Fatalf("entry at %d: %t (%v), want %t", key, has, err, want)
		}
	}
}

func wantQueued(t *testing.T, s *suite, id uint64, at int64) {
	t.Helper()
	it, err := s.k.ChallengeEndQueue.Iterate(s.ta.Ctx, nil)
	must(t, err)
	keys, err := it.Keys()
	must(t, err)
	if len(keys) != 1 || keys[0].K1() != at || keys[0].K2() != id {
		t.Fatalf("challenge queue holds %v, want job %d at %d", keys, id, at)
	}
}

func wantBal(t *testing.T, who string, got, want math.Int) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s has %s, want %s", who, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
