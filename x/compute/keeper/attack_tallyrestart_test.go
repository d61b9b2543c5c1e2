package keeper_test

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/types/common"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackUpgradeRestartsTheTallyOfAJobInItsLastBlock: a FULL job on its
// second (extended) window holds 15 of 30 VALID at the v3-verification
// upgrade, one block before its window ends. Migrate8to9 restarts its tally
// (voters, sums cleared) and leaves verification_end where it was. In the
// last block the two validators not yet heard (10 of 30) vote VALID; the
// three cleared ones resend a block later, after the end. The job closes
// EXPIRED / VERIFICATION_INCONCLUSIVE: the honest provider, whose result
// 25 of 30 found VALID, is unpaid, though no party did anything wrong.
// Honest outcome: the restart gives the sidecars time to resend (the job is
// still VERIFYING after its old end), and the provider is then paid.
func TestAttackUpgradeRestartsTheTallyOfAJobInItsLastBlock(t *testing.T) {
	s, _ := assuranceSuite(t)
	p := s.params()
	p.VerdictGraceBlocks, p.VerificationBlocks = types.DefaultVerdictGraceBlocks, 20
	s.setParams(p)
	req, prov := s.acc(0), s.acc(1)
	s.register(prov, verifyBond)
	id := s.assuredJob(req, prov, types.Assurance{Full: true})
	restartInTheLastBlock(t, s, prov, id, "upgrade", func(s *suite) *suite {
		s.upgradeFromVersion8(id) // on a version-8 store (voter keys without values)
		return s
	})
}

// restartInTheLastBlock runs VERIFYING job id of provider prov past its
// first window (extended once) to its extension's last block but one, where
// 15 of 30 power votes VALID; restart then restarts its tally (how: an
// upgrade in place, an import) and returns the suite the chain goes on in.
// In the last block the two validators not yet heard (10 of 30) vote VALID,
// and the three cleared ones resend a block later: the job must still be
// under check at its old end and then settle, prov paid its price less the
// protocol fee.
func restartInTheLastBlock(t *testing.T, s *suite, prov sdk.AccAddress, id uint64, how string, restart func(*suite) *suite) {
	t.Helper()
	s.nextPast(id) // no verdict in the first window: extended once
	if j := s.job(id); !j.VerificationExtended || j.State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("set-up: %s extended %t", j.State, j.VerificationExtended)
	}
	end := s.job(id).VerificationEnd
	for s.height() < end-1 {
		s.next(1)
	}
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 5, 5, 5) // 15 of 30 before the restart

	s = restart(s)
	provBefore := s.bal(prov)
	s.next(1) // the window's last block
	s.verdicts(id, types.Verdict_VERDICT_VALID, 4, 5, 5)
	must(t, s.k.EndBlocker(s.ta.Ctx))
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING && j.State != types.JobState_JOB_STATE_SETTLED {
		t.Fatalf("job %d at its old end %d (%s at %d): %s %s, verification_end %d; the provider's balance %s → %s (unpaid), though 25 of 30 found its result VALID",
			id, end, how, end-1, j.State, j.CloseReason, j.VerificationEnd, provBefore, s.bal(prov))
	}
	s.verdicts(id, types.Verdict_VERDICT_VALID, 1, 5, 5, 5) // the three cleared validators resend
	for i := 0; i < 50 && s.job(id).State == types.JobState_JOB_STATE_VERIFYING; i++ {
		s.next(1)
	}
	s.wantState(id, types.JobState_JOB_STATE_SETTLED, types.CloseReason_CLOSE_REASON_SETTLED)
	j = s.job(id)
	price := sdk.NewCoins(j.ClearingPrice)
	if want := price.Sub(common.FeePart(price, j.ProtocolFeeBps)...).AmountOf(j.ClearingPrice.Denom); !s.bal(prov).Sub(provBefore).Equal(want) {
		t.Fatalf("the provider was paid %s, want %s (its price less the protocol fee)", s.bal(prov).Sub(provBefore), want)
	}
}
