package provider

import (
	"testing"
	"time"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// TestAttackEndedJobHoldsItsFetchSlotUntilAWorkerFrees (found by the review of ad5ab34
// and ac66d34): a won job whose inputs are loaded waits in handOff for a
// worker, holding its fetch slot and its inputs in memory. It ends (its
// deadline passes: the workers were busy with longer jobs); retire's
// endWork drops it from the fetch queue and marks it ended, but it stays in
// the workers' queue, and handOff keeps waiting until a worker pops and
// skips it. Its slot is not given back: a job due earlier never takes it
// from a job due in the past (admitLocked), so the live job waiting behind
// it cannot even start its load until a worker frees, then loads while
// that worker idles, the load's time added to its execution. The ended
// job's inputs (a model and a dataset, up to the memory one slot admits)
// stay in memory as long. Expected: the ended job leaves the workers'
// queue and its slot goes to the next waiting job at once.
func TestAttackEndedJobHoldsItsFetchSlotUntilAWorkerFrees(t *testing.T) {
	a := testAgent(t)
	a.cfg.Fetchers = 1
	a.queued = map[uint64]bool{}
	limit, per := a.cfg.Fetchers, a.fetchesPerRequester()
	ended := computetypes.Job{Id: 1, Requester: "aic1e", ExecDeadline: 110}
	live := computetypes.Job{Id: 2, Requester: "aic1l", ExecDeadline: 150}
	if got := a.fetches.push(ended, limit, per, &a.ready); len(got) != 1 {
		t.Fatalf("setup: job 1 not fetched at once: %v", got)
	}
	a.recs[1] = &Record{ID: 1, Requester: ended.Requester, Phase: PhaseWon, Deadline: 110, ExecBlocks: 20}
	a.queued[1] = true
	returned := make(chan bool, 1)
	go func() { returned <- a.handOff(t.Context(), prepared{job: ended}) }() // loaded; no worker free
	for deadline := time.Now().Add(5 * time.Second); a.ready.len() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("setup: the loaded job is not in the workers' queue")
		}
	}
	if got := a.fetches.push(live, limit, per, &a.ready); len(got) != 0 {
		t.Fatalf("setup: job 2 got the only slot at once: %v", got)
	}
	a.height = 111 // past job 1's deadline: it ends
	a.retire()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatalf("job 1 ended at height %d (deadline %d) and, 5 s later, still waits in the workers' queue (%d queued) "+
			"holding the only fetch slot and its inputs; job 2 (deadline %d) still waits for the slot (%d waiting)",
			a.height, ended.ExecDeadline, a.ready.len(), live.ExecDeadline, a.fetches.len())
	}
	if a.ready.len() != 0 {
		t.Fatalf("the ended job's handOff returned but %d jobs are still queued for the workers", a.ready.len())
	}
}
