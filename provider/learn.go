package provider

import (
	"context"
	"errors"
	"math"
	"sort"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	computetypes "github.com/aichain/aichain/x/compute/types"
)

// maxQueriesPerBlock bounds the job queries one step makes when events are
// missing (after a restart, or while polling).
const maxQueriesPerBlock = 300

// learn queries the jobs whose next move depends on a state the agent has
// not seen in events: a commitment past its commit end (has the reveal
// phase begun?), a reveal past its reveal end (who won?), and a won job not
// heard of for 20 blocks (is it over?).
func (a *Agent) learn(ctx context.Context) error {
	h := a.height
	var ids []uint64
	for id, r := range a.recs {
		v := a.view[id]
		if r.PendingTx != "" || v.asked >= h-1 {
			continue
		}
		need := false
		switch r.Phase {
		case PhaseCommitted:
			need = h > r.CommitEnd+1 && v.state != computetypes.JobState_JOB_STATE_REVEAL
		case PhaseRevealed:
			need = h > r.RevealEnd+1 && v.winner == "" && !v.state.IsTerminal()
		case PhaseWon, PhaseExecuted, PhaseSubmitted:
			need = h-max(v.at, v.asked) >= 20 || (r.Deadline == 0 && v.asked == 0)
		}
		if need || v.missing > 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > maxQueriesPerBlock {
		ids = ids[:maxQueriesPerBlock]
	}
	jobs, missing, err := a.fetchJobs(ctx, ids)
	for _, j := range jobs {
		a.seeJob(j)
	}
	for _, id := range missing {
		a.notFound(id)
	}
	return err
}

// notFoundLimit is how many answers in a row, a block or two apart, must
// say NotFound before the agent takes a job for unknown to the chain.
const notFoundLimit = 3

// notFound records a node's NotFound answer about a job. One answer is not
// the chain's: a node behind a load balancer, or restored from a snapshot a
// few blocks old, has not seen the job yet, and forgetting on it loses a
// bid's salt (its deposit forfeited) or a won job (its collateral)
// (TestAttackLaggingNodeNotFoundForgetsHeldJobs). The record is forgotten
// only after notFoundLimit answers in a row, and never while the chain must
// still hold the job (heldOnChain).
func (a *Agent) notFound(id uint64) {
	r, ok := a.recs[id]
	if !ok {
		return
	}
	v := a.view[id]
	v.missing++
	v.asked = a.height
	a.view[id] = v
	if v.missing < notFoundLimit || a.heldOnChain(r) {
		a.log.Warn("the node does not know a held job; asking again", "job", id, "answers", v.missing)
		return
	}
	a.log.Warn("the node has not known a held job for several blocks; forgetting it", "job", id, "phase", r.Phase.String())
	a.forget(id)
}

// heldOnChain reports whether the chain must still know r's job, so that
// a NotFound about it is a stale node's, however often it is said. A bid's
// salt is the only way to reveal it, so it is kept through its reveal
// window. A won job is on chain until its execution deadline and then
// retention_blocks more (a terminal job stays queryable that long): a node
// a few blocks behind, or restored from an older snapshot, must not make
// the agent drop a job whose collateral is slashed if it is not run
// (TestAttackStaleNodeNotFoundThriceForgetsAWonJob). Before the award sets
// Deadline, the reveal end plus the execution blocks stands for it.
func (a *Agent) heldOnChain(r *Record) bool {
	if r.Phase <= PhaseCommitted {
		return a.height <= r.RevealEnd
	}
	if r.Phase < PhaseWon {
		return false
	}
	end := max(r.Deadline, r.RevealEnd+int64(min(r.ExecBlocks, math.MaxInt32)))
	return a.height <= end+int64(min(a.params.RetentionBlocks, math.MaxInt32))
}

// fetchJobs queries jobs eight at a time; missing are ids the chain does
// not know.
func (a *Agent) fetchJobs(ctx context.Context, ids []uint64) ([]computetypes.Job, []uint64, error) {
	var (
		mu      sync.Mutex
		jobs    []computetypes.Job
		missing []uint64
		errs    []error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, 8)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func(id uint64) {
			defer func() { <-sem; wg.Done() }()
			res, err := a.query.Job(ctx, &computetypes.QueryJobRequest{JobId: id})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status.Code(err) == codes.NotFound:
				missing = append(missing, id)
			case err != nil:
				errs = append(errs, err)
			default:
				jobs = append(jobs, res.Job)
			}
		}(id)
	}
	wg.Wait()
	return jobs, missing, errors.Join(errs...)
}
