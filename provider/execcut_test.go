package provider

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aichain/aichain/accel/cpu"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// A job that ends before its result (past its deadline, here) stops its
// execution, and the worker takes the next job: it ran to the end before,
// holding the worker that the schedule had planned for the job after it;
// and a job ended before a worker took it is skipped.
func TestEndedJobGivesItsWorkerBack(t *testing.T) {
	a := testAgent(t)
	gate := gatedGemm{Backend: cpu.New(), started: make(chan struct{}, 8), release: make(chan struct{})}
	a.backend = gate
	a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
	jobs := map[uint64]computetypes.Job{}
	a.query = &jobsOnChain{jobs: jobs}
	win := func(id uint64, deadline int64) {
		j := gemmJob(id, 16, 40)
		j.ExecDeadline = deadline
		jobs[id] = j
		a.recs[id] = &Record{ID: id, Requester: j.Requester, Phase: PhaseWon, Deadline: deadline, ExecBlocks: 40}
	}
	runPools(t, a, 1) // one worker
	started := func(what string) {
		t.Helper()
		select {
		case <-gate.started:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not start within 5 s: the worker is held by a job that ended", what)
		}
	}
	a.height = 100
	win(1, 120)
	a.dispatch()
	started("job 1")
	win(2, 121) // queued behind it, due next
	win(3, 200)
	a.dispatch()
	for deadline := time.Now().Add(5 * time.Second); a.ready.len() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("setup: %d jobs ready, want 2", a.ready.len())
		}
	}
	a.height = 122 // past jobs 1's and 2's deadlines: both end
	a.retire()
	started("job 3, after job 1 ended running and job 2 ended waiting,")
	select {
	case res := <-a.doneCh:
		if res.id != 1 || !errors.Is(res.err, context.Canceled) {
			t.Fatalf("the ended job's execution: job %d, %v; want job 1, cancelled", res.id, res.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the ended job's execution reported nothing")
	}
	for deadline := time.After(5 * time.Second); ; {
		select {
		case gate.release <- struct{}{}: // job 3's products
		case res := <-a.doneCh:
			if res.id != 3 || res.err != nil {
				t.Fatalf("after the ended jobs: job %d, %v; want job 3 run", res.id, res.err)
			}
			return
		case <-deadline:
			t.Fatal("job 3 did not finish within 5 s")
		}
	}
}
