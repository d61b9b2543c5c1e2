package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/workload"
	"github.com/aichain/aichain/x/compute/types"
)

// fullJobWonBy creates req's FULL-assurance gemm job (m rows in chunks of
// one row: m chunks bought) priced maxPrice, lets prov win it alone and
// submit, and returns it once VERIFYING.
func fullJobWonBy(s *suite, req, prov sdk.AccAddress, m uint64, maxPrice sdk.Coin) uint64 {
	s.t.Helper()
	msg := s.createMsg(req, 0)
	msg.MaxPrice = maxPrice
	msg.Workload = types.WorkloadSpec{Kind: workload.KindGemm, Gemm: &types.GemmSpec{M: m, N: 32, K: 16, Seed: 7}, ChunkRows: 1}
	msg.Assurance = &types.Assurance{Full: true}
	res, err := s.ms.CreateJob(s.ta.Ctx, msg)
	must(s.t, err)
	s.inv()
	id := res.JobId
	must(s.t, s.commitIn(prov, id, maxPrice))
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	must(s.t, s.revealIn(prov, id, maxPrice))
	for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: m})
	must(s.t, err)
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	return id
}

// TestAttackWithheldCheapJobLeavesRequesterShort: a bond-denom job of
// max_price 100 buys FULL assurance on 256 chunks (fee 25,600). Its
// collateral was bid_deposit (1,000): a winner that withheld forfeited
// 1,000, and the requester, refunded the escrow less the fee the validators
// were paid, was compensated 500 and was 26,100 short (its 1,000 creation
// fee and the 25,600 fee, less 500): griefing at 26 to 1. The lock now
// covers what the requester loses (CoverLock: 2 × 26,600): the withholder
// forfeits 53,200 and the requester ends even.
func TestAttackWithheldCheapJobLeavesRequesterShort(t *testing.T) {
	s, ops := assuranceSuite(t)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	l := s.ledger(append([]sdk.AccAddress{req, prov}, ops...)...)
	id := fullJobWonBy(s, req, prov, 256, coin(100))
	if fee := s.job(id).VerificationFee; !fee.Equal(sdk.NewCoins(coin(25_600))) {
		t.Fatalf("fee %s", fee)
	}
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 1, 6, 5)
	s.graceOver(id)
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_WITHHELD)
	s.bondOf(prov, verifyBond-53_200, 0, 0)
	l.delta("requester: creation fee and verification fee compensated", req, 0)
}

// TestAttackWithheldIBCJobLeavesRequesterShort: a job priced in a voucher
// (max_price 10,000 vouchers: the winner posts 20,000 vouchers) buys FULL
// on 256 chunks (25,600 uaic). Its bond lock was bid_deposit (1,000 uaic)
// however large max_price: a winner that withheld left the requester
// 26,100 uaic short (its vouchers go to the pool: the requester lost none).
// The bond lock now covers the uaic the requester loses (53,200): it ends
// even in both denoms.
func TestAttackWithheldIBCJobLeavesRequesterShort(t *testing.T) {
	s, _, req, prov, l, il := ibcAssurance(t)
	id := fullJobWonBy(s, req, prov, 256, icoin(verifyPrice))
	s.verdicts(id, types.Verdict_VERDICT_UNAVAILABLE, 1, 6, 5)
	s.graceOver(id)
	s.wantState(id, types.JobState_JOB_STATE_FAILED, types.CloseReason_CLOSE_REASON_WITHHELD)
	il.delta("provider forfeits its voucher collateral", prov, -verifyColl)
	il.delta("requester vouchers: escrow back, nothing more", req, 0)
	il.delta("reward pool takes the vouchers", poolAddr(), verifyColl)
	l.delta("requester uaic: creation fee and verification fee compensated", req, 0)
	s.bondOf(prov, verifyBond-53_200, 0, 0)
}
