package keeper_test

import (
	"slices"
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
	id, chunk, sampled := s.legacyMLPDisputed(t)
	j := s.job(id)
	nameOldDispute(&j.Sample, p.MaxDisputeChunks)
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

// legacyMLPDisputed is a job of unknown work (legacyMLPSubmitted) that its
// requester disputed, VERIFYING: the dispute as the release before
// v3-verification admitted it is filed as one naming no chunk, to be given
// the named chunks that release stored (nameOldDispute). It returns the
// job, a chunk's multiply-adds and how many chunks were sampled.
func (s *suite) legacyMLPDisputed(t *testing.T) (id, chunk uint64, sampled int) {
	t.Helper()
	req, prov := s.acc(0), s.acc(1)
	id, chunk = s.legacyMLPSubmitted(req, prov)
	_, err := s.ms.DisputeResult(s.ta.Ctx, &types.MsgDisputeResult{Requester: req.String(), JobId: id})
	must(t, err)
	j := s.job(id)
	if j.State != types.JobState_JOB_STATE_VERIFYING {
		t.Fatalf("set-up: job %s after the dispute, want VERIFYING", j.State)
	}
	return id, chunk, len(j.Sample.Indices)
}

// nameOldDispute gives a sample the n named chunks 0..n-1 the old release
// stored (AdmitDispute saw work 0 and took any max_dispute_chunks), checked
// on top of its sampled ones.
func nameOldDispute(smp *types.JobSample, n uint32) {
	named := make([]uint64, n)
	for c := range named {
		named[c] = uint64(c)
	}
	smp.Requested = named
	all := append(append([]uint64(nil), smp.Indices...), named...)
	slices.Sort(all)
	smp.Indices = slices.Compact(all)
}
