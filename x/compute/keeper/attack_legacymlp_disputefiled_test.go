package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/keeper"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackLegacyMLPDisputeFiledBeforeTheUpgrade: the fix of
// TestAttackPreUpgradeMLPJobDisputesEveryChunk refuses, from the upgrade
// on, a dispute naming chunks of a job of unknown work (mul_adds 0). The
// hostile requester files the same dispute in the last block before the
// v3-verification upgrade height (known in advance), when the old release
// admits it: its job is VERIFYING with max_dispute_chunks named chunks on
// top of the sample. Migrate8to9 restarts its tally and extends its window
// but keeps every named chunk: sidecars still must recompute 20 chunks, 3.4×
// the verification budget, and the job ends inconclusive, the honest
// provider unpaid, as before the fix. Honest outcome: after the upgrade a
// job of unknown work is checked on its sampled chunks only (the README:
// "a live job on one is disputed for its sampled chunks only").
func TestAttackLegacyMLPDisputeFiledBeforeTheUpgrade(t *testing.T) {
	s, p := s0(t)
	req, prov := s.acc(0), s.acc(1)
	id, chunk := s.legacyMLPSubmitted(req, prov)
	// The dispute as the old release admitted it (AdmitDispute saw work 0
	// and accepted any max_dispute_chunks chunks): filed here as one naming
	// none, then given the named chunks the old release stored.
	_, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id})
	must(t, err)
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("set-up: job %s after the dispute, want VERIFYING", j.State)
	}
	sampled := len(j.Sample.Indices)
	named := make([]uint64, p.MaxDisputeChunks)
	for i := range named {
		named[i] = uint64(i)
	}
	j.Sample.Requested = named
	union := map[uint64]bool{}
	for _, i := range append(append([]uint64(nil), j.Sample.Indices...), named...) {
		union[i] = true
	}
	j.Sample.Indices = j.Sample.Indices[:0]
	for i := uint64(0); i < 20; i++ {
		if union[i] {
			j.Sample.Indices = append(j.Sample.Indices, i)
		}
	}
	must(t, s.k.Jobs.Set(s.ta.Ctx, id, j))

	// The upgrade (its last two x/compute migrations).
	must(t, keeper.NewMigrator(s.k).Migrate8to9(s.ta.Ctx))
	must(t, keeper.NewMigrator(s.k).Migrate9to10(s.ta.Ctx))

	j = s.job(id)
	budget := p.MaxWorkPerExecBlock * p.VerificationBlocks
	if n := len(j.Sample.Indices); n > sampled {
		t.Fatalf("after the upgrade the job of unknown work (mul_adds %d) is still checked on %d chunks (%d sampled, %d named before the upgrade) = %d multiply-adds per sidecar, budget %d per window (%d with its extension)",
			j.MulAdds, n, sampled, len(j.Sample.Requested), uint64(n)*chunk, budget, 2*budget)
	}
	if len(j.Sample.Requested) != 0 {
		t.Fatalf("named chunks %v kept after the upgrade", j.Sample.Requested)
	}
}
