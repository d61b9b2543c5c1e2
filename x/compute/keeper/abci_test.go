package keeper_test

import (
	"testing"

	"github.com/aichain/aichain/x/compute/types"
)

func TestEndBlockerCapCarriesOver(t *testing.T) {
	s := newSuite(t)
	p := s.params()
	p.MaxQueueItemsPerBlock = 2
	s.setParams(p)
	req := s.acc(0)
	var ids []uint64
	for i := 0; i < 5; i++ {
		ids = append(ids, s.create(req, 1_000))
	}
	s.next(3) // commit_end reached in the last of these blocks: 2 expire
	expired := func() int {
		n := 0
		for _, id := range ids {
			if s.job(id).State == types.JobState_JOB_STATE_EXPIRED {
				n++
			}
		}
		return n
	}
	if n := expired(); n != 2 {
		t.Fatalf("%d expired in the due block, want the cap 2", n)
	}
	s.next(1)
	if n := expired(); n != 4 {
		t.Fatalf("%d expired after carry-over, want 4", n)
	}
	s.next(1)
	if n := expired(); n != 5 {
		t.Fatalf("%d expired, want 5", n)
	}
}
