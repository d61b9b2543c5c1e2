package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackLegacyMLPDisputeSurvivesAnExportImport: the hostile requester of
// TestAttackLegacyMLPDisputeFiledBeforeTheUpgrade files its dispute naming
// max_dispute_chunks chunks of a job of unknown work (mul_adds 0) on the
// release before v3-verification, and the chain then moves to the new
// release by an export and an import instead of the upgrade in place (an
// export from before jobs recorded terms, which InitGenesis gives the
// genesis params, as it restarts a version-8 tally: initTally). Migrate9to10
// takes the named chunks out of such a job (boundUnknownWorkDispute);
// InitGenesis kept them: the imported job is checked on 20 chunks, 3.4× the
// verification budget, and ends inconclusive, its honest provider unpaid.
// Honest outcome: the import checks it on its sampled chunks only, as the
// upgrade in place does.
func TestAttackLegacyMLPDisputeSurvivesAnExportImport(t *testing.T) {
	s, p := s0(t)
	id, chunk, sampled := s.legacyMLPDisputed(t)

	// The export as the old release wrote it: the dispute's named chunks
	// (AdmitDispute saw work 0 and took any max_dispute_chunks), no terms.
	gs, err := s.k.ExportGenesis(s.ta.Ctx)
	must(t, err)
	for i := range gs.Jobs {
		gj := &gs.Jobs[i]
		if gj.Id != id {
			continue
		}
		nameOldDispute(&gj.Sample, p.MaxDisputeChunks)
		gj.Terms = nil
	}
	must(t, gs.Validate())

	fresh := newSuite(t)
	for fresh.height() <= s.height() {
		fresh.next(1)
	}
	must(t, fresh.k.InitGenesis(fresh.ta.Ctx, gs))
	got := fresh.job(id)
	budget := p.MaxWorkPerExecBlock * p.VerificationBlocks
	if n := len(got.Sample.Indices); n > sampled {
		t.Fatalf("after the import the job of unknown work (mul_adds %d) is checked on %d chunks (%d sampled, %d named before the export) = %d multiply-adds per sidecar, budget %d per window (%d with its extension)",
			got.MulAdds, n, sampled, len(got.Sample.Requested), uint64(n)*chunk, budget, 2*budget)
	}
	if len(got.Sample.Requested) != 0 {
		t.Fatalf("named chunks %v kept after the import", got.Sample.Requested)
	}
	if got.State != types.JobState_JOB_STATE_VERIFYING || !got.Sample.Disputed {
		t.Fatalf("imported job %s (disputed %t), want it VERIFYING on its dispute", got.State, got.Sample.Disputed)
	}
}
