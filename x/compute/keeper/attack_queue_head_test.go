package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackShortDeadlineFiledBehindLongOne: the execution-deadline queue
// keeps a head (the earliest deadline it may hold) so that an idle block
// reads one entry instead of walking the queue. A provider that first wins a
// job with a long window, then one with a short window, and never delivers
// the second hopes the second deadline is filed behind the first head and
// waits for it: holding the requester's escrow, and its own collateral, many
// blocks longer. Filing the earlier deadline lowers the head: the short job
// times out at its own deadline, the requester is made whole to the coin and
// the provider loses the job's collateral, as for any timeout.
func TestAttackShortDeadlineFiledBehindLongOne(t *testing.T) {
	s := newSuite(t)
	s.setParams(attackParams())
	req, prov := s.acc(0), s.acc(1)
	const bond = 1_000_000
	s.register(prov, bond)

	long := s.createMsg(req, 10_000)
	long.ExecBlocks = 40
	res, err := s.ms.CreateJob(s.ta.Ctx, long)
	if err != nil {
		t.Fatal(err)
	}
	s.win(prov, res.JobId, 10_000)
	s.next(1) // the head now is the long job's deadline
	longDeadline := s.job(res.JobId).ExecDeadline

	l := s.ledger(req, prov)
	short := s.create(req, 10_000) // exec window 3
	s.win(prov, short, 10_000)
	if d := s.job(short).ExecDeadline; d >= longDeadline {
		t.Fatalf("short deadline %d is not before the long one %d", d, longDeadline)
	}
	for s.height() <= s.job(short).ExecDeadline {
		s.next(1)
	}
	s.wantState(short, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	s.wantState(res.JobId, types.JobState_JOB_STATE_ASSIGNED, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	// As in TestAttackTimeoutGriefing: the requester's escrow comes back and
	// its creation fee is compensated; the provider loses the short job's
	// collateral (2 × 10000) and keeps the long job's locked.
	l.delta("requester", req, 0)
	l.delta("provider's account", prov, 0)
	s.bondOf(prov, bond-20_000, 20_000, 1)
	l.delta("reward pool", poolAddr(), 20_000)
	l.delta("module account", moduleAddr(), -20_000)
}
