package provider

import (
	"context"
	"sort"
	"time"

	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// execResult is a finished execution, handed back to the pipeline.
type execResult struct {
	id         uint64
	root       []byte
	count      uint64
	chunkBytes uint64
	outBytes   uint64 // the output's bytes, all chunks
	served     jobexec.Served
	gflop      float64
	secs       float64
	err        error
	inputs     bool // err is a failure to fetch the job's model or dataset
}

// award moves revealed bids whose winner is known: won jobs go to the
// workers, lost ones are forgotten (their collateral is released on chain).
// A bid the agent has not seen revealed (its reveal landed unknown to it,
// at a shutdown) is won all the same when the chain names this provider the
// winner.
func (a *Agent) award() {
	for id, r := range a.recs {
		if r.Phase != PhaseRevealed && r.Phase != PhaseCommitted {
			continue
		}
		v := a.view[id]
		switch {
		case v.winner == a.me:
			if r.Phase == PhaseCommitted {
				a.log.Info("the chain awards this provider a job whose reveal it had not seen land", "job", id)
			}
			r.Phase, r.PendingTx = PhaseWon, ""
			a.metrics.JobsWon.Inc()
			a.touch(r)
		case r.Phase == PhaseRevealed && (v.winner != "" || v.state.IsTerminal()):
			a.forget(id)
		}
	}
}

// dispatch hands won jobs to the workers, earliest deadline first, as far
// as the queue takes them.
func (a *Agent) dispatch() {
	var won []*Record
	for id, r := range a.recs {
		if r.Phase == PhaseWon && !a.queued[id] && !r.Abort && a.height >= r.RetryAt {
			won = append(won, r)
		}
	}
	sort.Slice(won, func(i, j int) bool { return won[i].Deadline < won[j].Deadline })
	for _, r := range won {
		select {
		case a.execCh <- r.ID:
			a.queued[r.ID] = true
		default:
			return
		}
	}
}

// prepared is a won job whose inputs are fetched and checked: what a
// worker runs.
type prepared struct {
	job computetypes.Job
	w   workload.Job
}

// worker executes prepared jobs, earliest deadline first, until ctx ends.
func (a *Agent) worker(ctx context.Context) {
	for {
		p, ok := a.ready.pop(ctx)
		if !ok {
			return
		}
		ectx, done, live := a.execs.start(ctx, p.job.Id)
		if !live {
			continue // its job ended: nothing to run or report (execcut.go)
		}
		res := a.execute(ectx, p)
		done()
		if ctx.Err() != nil || !a.finish(ctx, res) {
			return
		}
	}
}

// finish hands a job's outcome to the pipeline; false once ctx has ended.
func (a *Agent) finish(ctx context.Context, res execResult) bool {
	select {
	case a.doneCh <- res:
		return true
	case <-ctx.Done():
		return false
	}
}

// execute runs a prepared job through its kind's row, stores its chunks and
// returns its root.
func (a *Agent) execute(ctx context.Context, p prepared) execResult {
	job, w, id := p.job, p.w, p.job.Id
	res := execResult{id: id}
	start := time.Now()
	chunks, err := workload.ComputeChunks(ctx, w, a.backend)
	if err != nil {
		res.err = err
		return res
	}
	if c := a.cfg.Fault.CorruptChunk; c >= 0 && len(chunks) > 0 {
		i := c % len(chunks)
		chunks[i][0] ^= 0x01
		a.log.Warn("FAULT MODE: corrupted an output chunk before committing", "job", id, "chunk", i)
	}
	if tc := a.cfg.Fault.ChangeToken; tc != nil {
		chunk, row, from, to := tc.Apply(chunks, w.Cols())
		a.log.Warn("FAULT MODE: changed a generated token before committing", "job", id, "chunk", chunk, "row", row, "from", from, "to", to)
	}
	tree, err := a.chunks.Put(id, chunks)
	if err != nil {
		res.err = err
		return res
	}
	root := tree.Root()
	res.root, res.count, res.chunkBytes = root[:], uint64(len(chunks)), uint64(len(chunks[0]))
	for _, c := range chunks {
		res.outBytes += uint64(len(c))
	}
	res.served, res.gflop = jobexec.ServedOf(job), jobexec.WorkOf(job).GFLOP
	res.secs = time.Since(start).Seconds()
	return res
}

// executed records a finished execution; the next block submits it.
func (a *Agent) executed(res execResult) {
	r, ok := a.recs[res.id]
	if !ok || r.Phase != PhaseWon {
		return
	}
	if res.err != nil && res.inputs {
		a.inputsFailed(r, res.err)
		return
	}
	if res.err != nil {
		a.execFailed(r, res.err)
		return
	}
	r.Phase, r.OutputRoot, r.ChunkCount, r.ChunkBytes = PhaseExecuted, res.root, res.count, res.chunkBytes
	r.Kind, r.DatasetID, r.DatasetVersion, r.ChunkRows = res.served.Kind, res.served.DatasetID, res.served.DatasetVersion, res.served.ChunkRows
	a.touch(r)
	a.auth.addJob(r)
	a.cap.observeJob(res.gflop, res.outBytes, res.secs)
	a.metrics.JobsExecuted.Inc()
	a.metrics.ExecSeconds.Observe(res.secs)
	a.log.Debug("job executed", "job", res.id, "chunks", res.count, "seconds", res.secs)
}

// maxExecRetryBlocks bounds the wait before a job whose execution failed
// (not on its inputs) runs again: 1 block after its first failure, twice
// as long after each next one, at most this.
const maxExecRetryBlocks = 8

// execFailed records a won job whose reading from the chain or execution
// failed. Most such failures are passing (a node restarting or lagging
// answers a job query Unavailable; a disk briefly full), and a job left
// queued is never dispatched again and times out, forfeiting its
// collateral for one failed read
// (TestAttackLaggingNodeQueryStrandsAWonJob): it is queued again, backing
// off (maxExecRetryBlocks), while its deadline leaves at least its
// estimated time, and past that it is left to time out, logged (an abort
// would claim its inputs unavailable, which the validators would find
// false).
func (a *Agent) execFailed(r *Record, err error) {
	a.metrics.ExecFailures.Inc()
	r.Error = err.Error()
	r.ExecFailures++
	a.touch(r)
	retryAt := a.height + min(int64(1)<<min(r.ExecFailures-1, 3), maxExecRetryBlocks)
	if r.Deadline > 0 && retryAt+a.blocksOf(r.EstSeconds) < r.Deadline {
		r.RetryAt = retryAt
		delete(a.queued, r.ID)
		a.log.Warn("job failed; trying again", "job", r.ID, "attempt", r.ExecFailures, "retry_at", r.RetryAt, "err", err)
		return
	}
	a.log.Error("job failed too close to its deadline to run again; it will time out", "job", r.ID, "deadline", r.Deadline, "err", err)
}

// submit sends the roots of executed jobs whose deadline the tx can meet.
func (a *Agent) submit(ctx context.Context) error {
	var items []item
	for id, r := range a.recs {
		if r.Phase != PhaseExecuted || r.PendingTx != "" || (r.Deadline > 0 && a.height+1 > r.Deadline) {
			continue
		}
		items = append(items, item{id: id, msg: &computetypes.MsgSubmitResult{
			Provider: a.me, JobId: id, OutputRoot: r.OutputRoot, ChunkCount: r.ChunkCount,
		}})
	}
	if len(items) == 0 {
		return nil
	}
	sort.Slice(items, func(i, j int) bool { return items[i].id < items[j].id })
	return a.sendAll(ctx, "result", items, a.resultSent, func(it item, err error) {
		a.log.Warn("result refused by the node; asking the chain about the job", "job", it.id, "err", err)
		v := a.view[it.id]
		v.asked, v.at = 0, 0
		a.view[it.id] = v
	})
}

// retire ends and purges: jobs over on chain (their chunks kept for the
// retention window), and records whose retention has passed. Bids whose
// window passed are expireBids', which asks the chain first.
func (a *Agent) retire() {
	h, now := a.height, time.Now()
	var ended []uint64
	for id, r := range a.recs {
		v := a.view[id]
		switch {
		case r.Phase <= PhaseRevealed && v.state.IsTerminal():
			a.forget(id)
		case r.Phase >= PhaseWon && r.Phase < PhaseEnded && (v.state.IsTerminal() || r.Phase < PhaseSubmitted && r.Deadline > 0 && h > r.Deadline):
			if r.Phase < PhaseSubmitted {
				a.metrics.Timeouts.Inc()
				a.log.Error("job ended before its result was in", "job", id, "deadline", r.Deadline, "state", v.state.String())
				ended = append(ended, id)
			}
			r.Phase, r.EndedAt = PhaseEnded, now.Unix()
			a.auth.endJob(id)
			a.touch(r)
		case r.Phase == PhaseEnded && now.Sub(time.Unix(r.EndedAt, 0)) > a.cfg.Retention:
			a.forget(id)
		}
	}
	a.endWork(ended)
	for id, end := range a.skip {
		if end < h {
			delete(a.skip, id)
		}
	}
}

// keepModels keeps in the disk cache exactly the weights of the jobs the
// agent has bid on and still holds (not ended): a flood of jobs over new
// models it sized and did not bid on is evicted first
// (TestAttackFloodOfUnbidJobsStopsAllBids), and the weights it may serve
// the validators stay. Run at start, before any sizing (the records of a
// restart: TestAttackFloodAfterRestartEvictsAHeldJobsWeights), and after
// every step.
func (a *Agent) keepModels() {
	d := a.diskPins()
	if d == nil {
		return
	}
	var shas []string
	for _, r := range a.recs {
		if r.Phase < PhaseEnded && r.ModelSha != "" {
			shas = append(shas, r.ModelSha)
		}
	}
	d.KeepModels(shas)
}

// datasetPins is an input source with a disk cache (jobexec.ChainResolver).
type datasetPins interface {
	KeepDatasets(ctx context.Context, refs []jobexec.DatasetRef) error
}

// keepDatasets keeps in the disk cache the dataset versions of the jobs the
// agent has executed and still holds (not ended), and reports whether it
// could: it serves their rows with
// every output chunk a validator samples, and their owner may take its
// server down after the award, so a flood of jobs it sized must not evict
// them (TestAttackDatasetOwnerTakesRowsDownAfterExecution). Run with
// keepModels.
func (a *Agent) keepDatasets(ctx context.Context) bool {
	d, ok := a.cfg.MLP.(datasetPins)
	if !ok {
		return true
	}
	var refs []jobexec.DatasetRef
	for _, r := range a.recs {
		if r.Phase >= PhaseExecuted && r.Phase < PhaseEnded && r.DatasetID != 0 && r.DatasetVersion != 0 {
			refs = append(refs, jobexec.DatasetRef{ID: r.DatasetID, Version: r.DatasetVersion})
		}
	}
	if err := d.KeepDatasets(ctx, refs); err != nil {
		a.log.Warn("cannot keep a held job's dataset on disk now (retried next block)", "err", err)
		return false
	}
	return true
}
