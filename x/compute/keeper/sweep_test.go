package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// fiveBids has five providers (accounts 1-5) commit on a new job of req
// (account 0) with max_price 10,000, in this order: 7,000; 5,000; 5,000;
// unrevealed; 6,000. It returns the job and the providers.
func (s *suite) fiveBids(batch uint32) (uint64, []sdk.AccAddress) {
	s.t.Helper()
	p := s.params()
	p.CloseBatchSize = batch
	p.RetentionBlocks = 4
	s.setParams(p)
	provs := []sdk.AccAddress{s.acc(1), s.acc(2), s.acc(3), s.acc(4), s.acc(5)}
	for _, a := range provs {
		s.register(a, 1_000_000)
	}
	id := s.create(s.acc(0), 10_000)
	prices := []int64{7_000, 5_000, 5_000, 9_000, 6_000}
	for i, a := range provs {
		s.commit(a, id, prices[i])
	}
	return id, provs
}

// TestCloseRanksAcrossBlocks closes an auction one commitment per block
// (close_batch_size 1): the leader so far stays locked, every other bid is
// released as it is handled, the tie at 5,000 goes to the earlier
// commitment, the unrevealed one forfeits bid_deposit, and the winner is
// paid the second price, 5,000. The invariants hold after every block.
func TestCloseRanksAcrossBlocks(t *testing.T) {
	s := newSuite(t)
	id, provs := s.fiveBids(1)
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	for i, price := range []int64{7_000, 5_000, 5_000, 0, 6_000} {
		if price == 0 {
			continue // provs[3] does not reveal
		}
		if err := s.reveal(provs[i], id, price); err != nil {
			t.Fatal(err)
		}
	}
	pool := s.poolBal()
	for s.height() <= s.job(id).RevealEnd {
		s.next(1)
	}
	blocks := 0
	for ; blocks < 10 && s.job(id).State == types.JobState_JOB_STATE_REVEAL; blocks++ {
		s.next(1)
	}
	if blocks != 4 { // five commitments, one a block: the fifth's block awards
		t.Fatalf("the close took %d more blocks after its first, want 4", blocks)
	}
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_ASSIGNED || j.Winner != provs[1].String() || !j.ClearingPrice.IsEqual(coin(5_000)) {
		t.Fatalf("job %s: winner %s at %s; want %s (the earlier of the two 5000 bids) at 5000", j.State, j.Winner, j.ClearingPrice, provs[1])
	}
	if sw := j.Sweep; sw.After != "" || sw.Leader != "" || sw.HasRunnerUp || sw.ReleasePending {
		t.Fatalf("sweep left on the awarded job: %+v", j.Sweep)
	}
	s.bondOf(provs[1], 1_000_000, 20_000, 1)
	s.bondOf(provs[3], 1_000_000-1_000, 0, 0)
	for _, i := range []int{0, 2, 4} {
		s.bondOf(provs[i], 1_000_000, 0, 0)
	}
	if got := s.poolBal().Sub(pool); !got.Equal(coin(1_000).Amount) {
		t.Fatalf("reward pool got %s, want the one forfeited bid_deposit 1000", got)
	}
	for _, a := range provs {
		c, err := s.k.BidCommits.Get(s.ta.Ctx, collections.Join(id, a.String()))
		if err != nil || !c.Closed {
			t.Fatalf("commitment of %s: closed %v, %v", a, c.Closed, err)
		}
	}
}

// TestAttackManyCommitmentsMakeCancelExpensive: a requester's cancel
// releases close_batch_size (2) commitments in its own transaction and the
// rest in the blocks after, so that a provider making many commitments
// cannot make a cancel cost what they are; the refund is immediate, and the
// job is pruned only once all are released, its commitments deleted 2 a
// block.
func TestAttackManyCommitmentsMakeCancelExpensive(t *testing.T) {
	s := newSuite(t)
	req := s.acc(0)
	before := s.bal(req)
	id, provs := s.fiveBids(2)
	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id}); err != nil {
		t.Fatal(err)
	}
	s.inv()
	if !s.bal(req).Equal(before) {
		t.Fatalf("refund: %s, want %s", s.bal(req), before)
	}
	locked := func() (n int) {
		for _, a := range provs {
			if !s.provider(a).Locked.IsZero() {
				n++
			}
		}
		return n
	}
	if n, sw := locked(), s.job(id).Sweep; n != 3 || !sw.ReleasePending {
		t.Fatalf("after the cancel: %d commitments locked (want 3), sweep %+v", n, sw)
	}
	s.next(1)
	if n := locked(); n != 1 {
		t.Fatalf("a block after the cancel: %d locked, want 1", n)
	}
	s.next(1)
	if n, sw := locked(), s.job(id).Sweep; n != 0 || sw.ReleasePending {
		t.Fatalf("two blocks after the cancel: %d locked, sweep %+v", n, sw)
	}
	for _, a := range provs {
		s.bondOf(a, 1_000_000, 0, 0)
	}
	s.wantState(id, types.JobState_JOB_STATE_CANCELLED, types.CloseReason_CLOSE_REASON_REQUESTER_CANCELLED)
	// Pruned retention_blocks (4) after the cancel, 2 commitments a block.
	for i := 0; i < 10; i++ {
		if _, err := s.k.Jobs.Get(s.ta.Ctx, id); errors.Is(err, collections.ErrNotFound) {
			break
		}
		s.next(1)
	}
	if _, err := s.k.Jobs.Get(s.ta.Ctx, id); !errors.Is(err, collections.ErrNotFound) {
		t.Fatalf("job not pruned: %v", err)
	}
	it, err := s.k.BidCommits.Iterate(s.ta.Ctx, collections.NewPrefixedPairRange[uint64, string](id))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if it.Valid() {
		t.Fatal("commitments left after the prune")
	}
}

// TestGenesisMidSweep exports a chain while an auction's close and a
// cancel's release are half done: the export validates, imports to the same
// state, and files both jobs in the reveal-end queue again; a genesis whose
// sweep names a leader that does not hold, or a release on a job not
// cancelled, is refused.
func TestGenesisMidSweep(t *testing.T) {
	s := newSuite(t)
	closing, provs := s.fiveBids(2)
	for s.height() <= s.job(closing).CommitEnd {
		s.next(1)
	}
	for i, price := range []int64{7_000, 5_000} {
		if err := s.reveal(provs[i], closing, price); err != nil {
			t.Fatal(err)
		}
	}
	for s.height() <= s.job(closing).RevealEnd {
		s.next(1)
	}
	if j := s.job(closing); j.State != types.JobState_JOB_STATE_REVEAL || j.Sweep.After == "" {
		t.Fatalf("close not under way: %s, %+v", j.State, j.Sweep)
	}
	cancelled := s.create(s.acc(0), 10_000)
	for _, a := range provs {
		s.commit(a, cancelled, 8_000)
	}
	if _, err := s.ms.CancelJob(s.ta.Ctx, &types.MsgCancelJob{Requester: s.acc(0).String(), JobId: cancelled}); err != nil {
		t.Fatal(err)
	}
	if !s.job(cancelled).Sweep.ReleasePending {
		t.Fatal("the cancel released every commitment at once (the test needs some left)")
	}
	gs, fresh := s.exportImport()
	for _, id := range []uint64{closing, cancelled} {
		if !queued(t, fresh, fresh.k.RevealEndQueue, id) {
			t.Fatalf("job %d is not in the reveal-end queue after import", id)
		}
	}

	bad := *gs
	bad.Jobs = append([]types.Job(nil), gs.Jobs...)
	for i := range bad.Jobs {
		if bad.Jobs[i].Id == closing {
			bad.Jobs[i].Sweep.Leader = provs[3].String() // never revealed
		}
	}
	if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("leader that never revealed: %v, want ErrInvalidGenesis", err)
	}
	bad.Jobs = append([]types.Job(nil), gs.Jobs...)
	for i := range bad.Jobs {
		if bad.Jobs[i].Id == closing {
			bad.Jobs[i].Sweep = types.CommitmentSweep{ReleasePending: true}
		}
	}
	if err := bad.Validate(); !errors.Is(err, types.ErrInvalidGenesis) {
		t.Fatalf("release pending on a job in REVEAL: %v, want ErrInvalidGenesis", err)
	}
}

// queued reports whether job id has an entry in q.
func queued(t *testing.T, s *suite, q keeper.HeightQueue, id uint64) bool {
	t.Helper()
	it, err := q.Iterate(s.ta.Ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := it.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.K2() == id {
			return true
		}
	}
	return false
}
