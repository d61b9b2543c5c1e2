package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/testutil/storeiter"
	"github.com/aichain/aichain/x/compute/types"
)

// TestAttackCreateCancelFloodOpensIteratorPerCancel: a requester fills
// blocks with MsgCreateJob + MsgCancelJob pairs on jobs nobody bid on. The
// creation reads and writes by key (TestCreateJobReadsAndWritesOnce), but
// each cancel opens an iterator on the compute store (cancelCommitments →
// sweepBatch → nextCommits walks BidCommits under the job's prefix) although
// the job's own commit_count says it holds no commitment. An iterator inside
// a block scans the block's unsorted writes to the module's store so far and
// opens an IAVL/LevelDB iterator (testutil/storeiter's package doc), work no
// gas pays for; the project removed such iterators from SubmitResult and a
// first licence purchase for this reason. A cancel of a job with
// commit_count 0 has nothing to release and must read by key only.
func TestAttackCreateCancelFloodOpensIteratorPerCancel(t *testing.T) {
	s := newSuite(t)
	req := s.acc(0)
	const n = 20
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = s.create(req, verifyPrice)
	}
	ctx, iters := storeiter.Wrap(s.ta.Ctx)
	for _, id := range ids {
		if j, _ := s.k.GetJob(ctx, id); j.CommitCount != 0 {
			t.Fatalf("job %d holds %d commitments", id, j.CommitCount)
		}
		if _, err := s.ms.CancelJob(ctx, &types.MsgCancelJob{Requester: req.String(), JobId: id}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		s.wantState(id, types.JobState_JOB_STATE_CANCELLED, types.CloseReason_CLOSE_REASON_REQUESTER_CANCELLED)
	}
	if iters.Total() != 0 {
		t.Fatalf("%d cancels of jobs without a commitment opened %d iterators (%s): each walks BidCommits "+
			"though commit_count is 0, a scan of the block's writes per cancel that no gas pays for",
			n, iters.Total(), iters)
	}
}
