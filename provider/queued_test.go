package provider

import (
	"testing"
	"time"
)

// TestQueuedKeepsEveryWonJobForTheProcessLife: dispatch marks each won job
// it hands to the fetchers in Agent.queued, and the mark stayed when the
// job's record left (retired past its retention, or forgotten): one entry
// per job won for as long as the process ran. It goes with the record now.
func TestQueuedKeepsEveryWonJobForTheProcessLife(t *testing.T) {
	a := testAgent(t)
	a.queued, a.execCh = map[uint64]bool{}, make(chan uint64, 64)
	const won = 50
	for id := uint64(1); id <= won; id++ {
		a.recs[id] = &Record{ID: id, Requester: "aic1alice", Phase: PhaseWon, Deadline: 140, ExecBlocks: 40}
	}
	a.dispatch()
	if len(a.queued) != won {
		t.Fatalf("setup: %d of the %d won jobs queued", len(a.queued), won)
	}
	// Each ran, its result settled, and its chunks' retention passed.
	for _, r := range a.recs {
		r.Phase, r.EndedAt = PhaseEnded, time.Now().Add(-2*a.cfg.Retention).Unix()
	}
	a.retire()
	if len(a.recs) != 0 {
		t.Fatalf("setup: %d records left after their retention", len(a.recs))
	}
	if len(a.queued) != 0 {
		t.Fatalf("%d jobs' records are gone and Agent.queued still holds %d entries: one per job won, for the life of the process",
			won, len(a.queued))
	}
}
