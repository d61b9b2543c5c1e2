package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackAssuranceOnIBCJob: a job priced in vouchers buys FULL
// assurance. The fee is escrowed and paid in the bond denom (uaic, 4 × 100),
// whatever the job's denom: the two validators whose VALID verdicts settle
// it get their shares of the set's power (10 of 30 each: 133 uaic; 134
// burned); the price and its protocol fee are
// paid in vouchers; the invariant holds per denom after every step and the
// module keeps nothing of either denom.
func TestAttackAssuranceOnIBCJob(t *testing.T) {
	s, ops, req, prov, l, il := ibcAssurance(t)
	msg := s.createMsg(req, 0)
	msg.MaxPrice, msg.Assurance = icoin(verifyPrice), &types.Assurance{Full: true}
	res, err := s.ms.CreateJob(s.ta.Ctx, msg)
	must(t, err)
	s.inv()
	id := res.JobId
	if j := s.job(id); !j.Escrow.Equal(sdk.NewCoins(icoin(verifyPrice), coin(400))) {
		t.Fatalf("escrow %s, want the price in vouchers and the fee in uaic", j.Escrow)
	}
	must(t, s.commitIn(prov, id, icoin(verifyPrice/2)))
	for s.height() <= s.job(id).CommitEnd {
		s.next(1)
	}
	must(t, s.revealIn(prov, id, icoin(verifyPrice/2)))
	for s.job(id).State != types.JobState_JOB_STATE_ASSIGNED {
		s.next(1)
	}
	_, err = s.ms.SubmitResult(s.ta.Ctx, &types.MsgSubmitResult{Provider: prov.String(), JobId: id, OutputRoot: root32, ChunkCount: 4})
	must(t, err)
	s.next(2)
	s.wantState(id, types.JobState_JOB_STATE_VERIFYING, types.CloseReason_CLOSE_REASON_UNSPECIFIED)
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 10, 10)
	s.graceOver(id) // the quorum's grace
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	l.delta("requester uaic: creation fee and verification fee", req, -creationFee-400)
	il.delta("requester vouchers: the price", req, -verifyPrice)
	l.delta("validator 1", ops[0], 133)
	l.delta("validator 2", ops[1], 133)
	l.delta("validator 3 (did not vote)", ops[2], 0)
	il.delta("validator 1 vouchers", ops[0], 0)
	l.delta("provider uaic", prov, 0)
	il.delta("provider vouchers: the price less the protocol fee", prov, verifyPrice*9/10)
	l.delta("reward pool uaic", poolAddr(), creationFee)
	il.delta("reward pool vouchers", poolAddr(), verifyPrice/10)
	l.delta("module uaic", moduleAddr(), 0)
	il.delta("module vouchers", moduleAddr(), 0)
	l.burned(134)
}

// ibcAssurance is the assurance suite with vouchers allowed: a requester
// and a registered provider, each funded with vouchers, and ledgers of them
// and the validators' operators in both denoms.
func ibcAssurance(t *testing.T) (s *suite, ops []sdk.AccAddress, req, prov sdk.AccAddress, l ledger, il iledger) {
	t.Helper()
	s, ops = assuranceSuite(t)
	s.allowIBC()
	req, prov = s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	s.fundIBC(1_000_000, req, prov)
	accs := append([]sdk.AccAddress{req, prov}, ops...)
	return s, ops, req, prov, s.ledger(accs...), s.iledger(accs...)
}
