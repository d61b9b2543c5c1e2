package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackTimeoutGriefing (issue 14, attack 1). A requester used to post
// jobs a provider could not finish — exec_blocks = 1, more work than the
// window allows — and collect half of a slash of 10% of the provider's whole
// bond each time the provider timed out. Now:
//   - a window below min_exec_blocks, or too short for the job's work
//     (max_work_per_exec_block), is refused at creation, and nothing moves;
//   - a timeout costs the winner the job's collateral (slash_fraction_timeout
//     of it), never a share of its whole bond;
//   - the requester, refunded its escrow, is compensated at most the creation
//     fee it paid: it ends exactly where it started, having gained nothing;
//     the rest of the penalty goes to the reward pool;
//   - timeout_jail_threshold timeouts in a row jail the provider.
func TestAttackTimeoutGriefing(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.TimeoutJailThreshold = 2
	p.MaxWorkPerExecBlock = 1_000_000 // a 4096³ product needs 68,720 blocks
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	const bond = 1_000_000
	s.register(prov, bond)

	// A one-block window is refused, and so is more work than the window allows.
	before := s.snap(req, prov)
	short := s.createMsg(req, 10_000)
	short.ExecBlocks = 1
	_, err := s.ms.CreateJob(s.ta.Ctx, short)
	wantErr(t, err, types.ErrInvalidWindow)
	huge := s.createMsg(req, 10_000)
	huge.Workload = types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: 4096, N: 4096, K: 4096, Seed: 1}, ChunkRows: 16}
	huge.ExecBlocks = p.MaxExecBlocks
	if need := uint64(4096*4096*4096)/p.MaxWorkPerExecBlock + 1; need <= p.MaxExecBlocks {
		t.Fatalf("the job needs %d exec blocks, within max_exec_blocks %d: not more work than the window allows", need, p.MaxExecBlocks)
	}
	_, err = s.ms.CreateJob(s.ta.Ctx, huge)
	wantErr(t, err, types.ErrInvalidWindow)
	s.unchanged(before, req, prov)

	// The griefing run: the winner does not deliver by its deadline.
	l := s.ledger(req, prov)
	id := s.create(req, 10_000) // collateral 2 × 10000
	s.win(prov, id, 10_000)
	s.bondOf(prov, bond, 20_000, 1)
	for s.height() <= s.job(id).ExecDeadline {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_EXECUTION_TIMEOUT)
	// The requester paid the 1000 creation fee and got it back as its
	// compensation, capped there (half the penalty would be 10000): it
	// gains nothing. The old rule paid it 50000 (half of 10% of the bond).
	l.delta("requester", req, 0)
	l.delta("provider's account", prov, 0)
	s.bondOf(prov, bond-20_000, 0, 0) // the job's collateral, not 10% of the bond
	// The pool: the creation fee, and the penalty less the compensation.
	l.delta("reward pool", poolAddr(), creationFee+(20_000-creationFee))
	l.delta("module account", moduleAddr(), -20_000)
	if pr := s.provider(prov); pr.Status != types.ProviderStatus_PROVIDER_STATUS_ACTIVE || pr.Stats.ConsecutiveTimeouts != 1 {
		t.Fatalf("after one timeout: %s, %d timeouts in a row", pr.Status, pr.Stats.ConsecutiveTimeouts)
	}

	// A second timeout in a row jails it.
	id = s.create(req, 10_000)
	s.win(prov, id, 10_000)
	for s.height() <= s.job(id).ExecDeadline {
		s.next(1)
	}
	if pr := s.provider(prov); pr.Status != types.ProviderStatus_PROVIDER_STATUS_JAILED || pr.Stats.ConsecutiveTimeouts != 2 {
		t.Fatalf("after two timeouts: %s, %d timeouts in a row", pr.Status, pr.Stats.ConsecutiveTimeouts)
	}
	l.delta("requester after two timeouts", req, 0)
	s.bondOf(prov, bond-40_000, 0, 0)
}
