package provider

import (
	"context"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// flakyJobs answers the agent's job queries from a map, but the first
// `fails` queries are refused Unavailable, as a lagging or restarting node
// (or one whose query slots a stranger fills) answers for a moment.
type flakyJobs struct {
	computetypes.QueryClient
	mu    *sync.Mutex
	fails *int
	code  codes.Code // the refusal's code; Unavailable when unset
	jobs  map[uint64]computetypes.Job
}

func (c flakyJobs) Job(_ context.Context, in *computetypes.QueryJobRequest, _ ...grpc.CallOption) (*computetypes.QueryJobResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *c.fails > 0 {
		*c.fails--
		if c.code != codes.OK {
			return nil, status.Error(c.code, "no such job")
		}
		return nil, status.Error(codes.Unavailable, "node restarting")
	}
	return &computetypes.QueryJobResponse{Job: c.jobs[in.JobId]}, nil
}

// TestAttackLaggingNodeQueryStrandsAWonJob: the agent won a gemm job
// with a 40-block execution window. When a fetcher picks it up, it reads the
// job from the node; the node answers that one query Unavailable (it is
// restarting, or lagging, or a stranger fills its query slots). The failure
// goes back to the pipeline as an execution failure (not an input failure):
// the record keeps PhaseWon with queued[id] still set, so dispatch never
// hands it out again. The job is never run, its deadline passes, and the
// provider's collateral is forfeited for one transient error on a read.
func TestAttackLaggingNodeQueryStrandsAWonJob(t *testing.T) {
	a := testAgent(t)
	a.queued, a.execCh, a.doneCh = map[uint64]bool{}, make(chan uint64, 16), make(chan execResult, 16)
	const id = 7
	job := gemmJob(id, 16, 40)
	job.State, job.Winner, job.ExecDeadline = computetypes.JobState_JOB_STATE_ASSIGNED, a.me, 140
	fails := 1
	a.query = flakyJobs{mu: &sync.Mutex{}, fails: &fails, jobs: map[uint64]computetypes.Job{id: job}}
	a.recs[id] = &Record{ID: id, Phase: PhaseWon, Deadline: 140, ExecBlocks: 40, Collateral: "5000uaic"}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handed := 0 // times the job went to a fetcher
	prepared := 0
	for h := int64(101); h <= 140; h++ {
		a.height = h
		a.drainDone()
		a.dispatch()
		for len(a.execCh) > 0 {
			handed++
			a.route(ctx, <-a.execCh) // what a fetcher does with it
		}
		for a.ready.len() > 0 { // what a worker does
			a.ready.pop(ctx)
			prepared++
		}
	}
	if prepared == 0 {
		t.Fatalf("won job %d (deadline 140) was handed to the fetchers %d time(s) in 40 blocks and never reached a worker: "+
			"one Unavailable answer to its job query left it PhaseWon and marked queued (record error %q), so it times out "+
			"and its collateral %s is forfeited", id, handed, a.recs[id].Error, a.recs[id].Collateral)
	}
}

// TestAttackLaggingNodeNotFoundForgetsHeldJobs: the agent's node is one
// of several behind a load balancer (a public or managed RPC endpoint), or
// was restored from a snapshot a few blocks old. learn asks it about a
// committed bid whose reveal phase it has not seen and about a won job not
// heard of since its award; the lagging backend, which does not have the
// jobs yet, answers NotFound once. fetchJobs takes that single answer as
// "the chain does not know the job" and forgets both records: the bid's
// salt (the only way to reveal it: its 1 AIC deposit is forfeited) and the
// won job (never run: its collateral is slashed at the deadline). The next
// answer, from an up-to-date backend, would have had both jobs.
func TestAttackLaggingNodeNotFoundForgetsHeldJobs(t *testing.T) {
	a := testAgent(t)
	committed, won := gemmJob(1, 16, 40), gemmJob(2, 16, 40)
	committed.State = computetypes.JobState_JOB_STATE_REVEAL
	won.State, won.Winner, won.ExecDeadline = computetypes.JobState_JOB_STATE_ASSIGNED, a.me, 150
	fails := 2 // one NotFound for each query of the step
	a.query = flakyJobs{mu: &sync.Mutex{}, fails: &fails, code: codes.NotFound,
		jobs: map[uint64]computetypes.Job{1: committed, 2: won}}
	a.recs[1] = &Record{ID: 1, Phase: PhaseCommitted, Price: "1000uaic", Salt: make([]byte, 32), CommitEnd: 105, RevealEnd: 110, ExecBlocks: 40}
	a.recs[2] = &Record{ID: 2, Phase: PhaseWon, Collateral: "1000000uaic", CommitEnd: 95, RevealEnd: 100, ExecBlocks: 40}

	for h := int64(107); h <= 109; h++ {
		a.height = h
		_ = a.learn(context.Background())
	}
	var lost []string
	if a.recs[1] == nil {
		lost = append(lost, "committed bid 1 (its salt: the 1 AIC deposit is forfeited)")
	}
	if a.recs[2] == nil {
		lost = append(lost, "won job 2 (never run: collateral 1000000uaic slashed)")
	}
	if len(lost) > 0 {
		t.Fatalf("one NotFound per job from a lagging node made the agent forget %v; the jobs are on chain (%d refusals left)", lost, fails)
	}
}

// TestAttackStaleNodeNotFoundThriceForgetsAWonJob: 8858bb6 forgets a held
// job after 3 NotFound answers in a row. A won job, though, is on chain
// until it ends and then retention_blocks more: a NotFound about a won job
// whose execution deadline is 40 blocks away is never the chain's. A node
// restored from a snapshot older than the job (or a sticky load-balanced
// backend that is), answering NotFound to the agent's queries at heights 110, 112 and 114
// (learn asks every other block) while it catches up, makes the agent forget the won job: never run, its collateral (1,000,000uaic) is
// slashed at the deadline, though the next answer has the job.
func TestAttackStaleNodeNotFoundThriceForgetsAWonJob(t *testing.T) {
	a := testAgent(t)
	won := gemmJob(2, 16, 40)
	won.State, won.Winner, won.ExecDeadline = computetypes.JobState_JOB_STATE_ASSIGNED, a.me, 150
	fails := notFoundLimit // the stale backend's answers while it catches up
	a.query = flakyJobs{mu: &sync.Mutex{}, fails: &fails, code: codes.NotFound, jobs: map[uint64]computetypes.Job{2: won}}
	a.recs[2] = &Record{ID: 2, Phase: PhaseWon, Collateral: "1000000uaic", CommitEnd: 95, RevealEnd: 100, ExecBlocks: 40, Deadline: 150}

	for h := int64(110); h <= 114; h++ {
		a.height = h
		_ = a.learn(context.Background())
	}
	if a.recs[2] == nil {
		t.Fatalf("won job 2 (deadline 150, collateral 1000000uaic) forgotten at height <= 114 after %d NotFound answers from a "+
			"stale node; the node answered the job at the next query (%d refusals left): never run, its collateral is slashed",
			notFoundLimit, fails)
	}
}
