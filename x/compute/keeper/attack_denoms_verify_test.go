package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// ibcVerifyingJob has prov win req's voucher job at verifyPrice, submit a
// 4-chunk result and be sampled (the params sample every job): VERIFYING.
func (s *suite) ibcVerifyingJob(req, prov sdk.AccAddress) uint64 {
	s.t.Helper()
	id := s.runIBCWin(req, prov, verifyPrice)
	_, err := s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	must(s.t, err)
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	return id
}

// TestAttackClogVerificationOnIBCJob: a voucher job whose verification
// reaches no quorum (twice) pays nobody: the requester gets its vouchers
// back (only the uaic creation fee is gone) and the provider its price
// collateral (and its bond lock), to the coin; the invariant holds per denom
// after every block.
func TestAttackClogVerificationOnIBCJob(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	s.allowIBC()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	s.fundIBC(1_000_000, req, prov)
	l, il := s.ledger(req, prov), s.iledger(req, prov)
	id := s.ibcVerifyingJob(req, prov)
	il.delta("provider's price collateral held", prov, -verifyColl)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 'a', 15) // no quorum
	s.nextPast(id)
	s.nextPast(id)
	s.wantState(id, types.JobState_JOB_STATE_EXPIRED, types.CloseReason_CLOSE_REASON_VERIFICATION_INCONCLUSIVE)
	il.delta("requester: escrow back", req, 0)
	il.delta("provider: nothing paid, collateral back", prov, 0)
	il.delta("module", moduleAddr(), 0)
	l.delta("requester: the creation fee", req, -creationFee)
	s.bondOf(prov, verifyBond, 0, 0)
}

// TestAttackWithholdOnIBCJob: a provider that withholds a voucher job's
// sampled chunks (UNAVAILABLE above 1/3 of the power) forfeits the job's
// collateral in each denom — its bond lock (bid_deposit, uaic) and its price
// collateral (vouchers) — not the fraud slash; the requester is refunded its
// escrow and compensated up to what it lost, per denom (the uaic creation
// fee, which the bond lock is sized to cover; nothing in vouchers).
func TestAttackWithholdOnIBCJob(t *testing.T) {
	s := newSuite(t)
	p := attackParams()
	p.SampleRateFloorBps = 10_000
	s.setParams(p)
	s.allowIBC()
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	s.fundIBC(1_000_000, req, prov)
	l, il := s.ledger(req, prov), s.iledger(req, prov)
	id := s.ibcVerifyingJob(req, prov)
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 'a', 11)
	for st := s.job(id).State; st == types.JobState_JOB_STATE_VERIFYING; st = s.job(id).State {
		s.next(1)
	}
	if j := s.job(id); j.State == types.JobState_JOB_STATE_SETTLED || j.State == types.JobState_JOB_STATE_FAILED && j.CloseReason == types.CloseReason_CLOSE_REASON_FRAUD {
		t.Fatalf("withholding ended as %s / %s", j.State, j.CloseReason)
	}
	il.delta("requester: escrow back, no voucher compensation", req, 0)
	il.delta("provider forfeits its price collateral", prov, -verifyColl)
	il.delta("reward pool", poolAddr(), verifyColl)
	il.delta("module", moduleAddr(), 0)
	// The bond lock is the least that covers the creation fee (CoverLock).
	bondLock := max(s.params().BidDeposit.Amount.Int64(), 2*creationFee)
	l.delta("requester: creation fee compensated", req, 0)
	s.bondOf(prov, verifyBond-bondLock, 0, 0)
}
