package provider

import (
	"context"
	"errors"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	computetypes "github.com/aichain/aichain/x/compute/types"
)

// step runs the pipeline for one new block: learn from its events, confirm
// the txs in flight, reveal, submit results and aborts, bid, hand won jobs
// to the workers, retire ended jobs, and save what changed in one
// transaction.
func (a *Agent) step(ctx context.Context, b chainclient.Block) error {
	a.height = b.Height
	a.cap.observeBlock(b.Height, b.Time)
	created := a.applyEvents(b)
	var errs []error
	errs = append(errs, a.within(ctx, func(ctx context.Context) error { return a.confirm(ctx, b) }))
	errs = append(errs, a.within(ctx, a.learn))
	errs = append(errs, a.within(ctx, a.reveal))
	// Results and aborts have a deadline each and go before the bid stage,
	// whose listing and commitments may use a whole block between them
	// (TestAttackOpenJobFloodHoldsTheResultPastItsDeadline); a fetch cut
	// at its abort point is marked first, its abort sent in this step.
	a.cutLateInputs()
	errs = append(errs, a.within(ctx, a.submit))
	errs = append(errs, a.within(ctx, a.abort))
	// New jobs show in events; without events (polling), after a restart
	// and every 5 blocks anyway, the open jobs are listed; a listing cut
	// short by its wait goes on at the next step.
	if created || !b.Full || b.Height-a.listedAt >= 5 || a.retryableBids() || a.sizing.due() || a.listing() {
		a.listedAt = b.Height
		errs = append(errs, a.bid(ctx))
	}
	a.award()
	a.dispatch()
	errs = append(errs, a.expireBids(ctx))
	a.retire()
	a.keepModels()
	a.releaseHolds(a.keepDatasets(ctx))
	if b.Height%100 == 0 || a.paramsDue {
		a.paramsDue = false
		errs = append(errs, a.within(ctx, a.refreshParams))
	}
	errs = append(errs, a.flush())
	a.observe()
	return errors.Join(errs...)
}

// within runs one stage of the step with a deadline of its own (callWait):
// a query or broadcast the node never answers (its host gone without a
// reset, a partition, a node stuck) fails that stage, and the step goes on
// to the next stage and the next block, whose reveals cannot wait for it
// (TestAttackHungQueryBlocksTheNextReveal).
func (a *Agent) within(ctx context.Context, stage func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, a.callWait())
	defer cancel()
	return stage(ctx)
}

// callWait is how long one stage of a step may wait on the node: half a
// block, at least 2 s. A stage's calls answer in milliseconds from a
// healthy node; a node that answers nothing holds a step at most nine such
// waits (its nine stages that call the node: the bid's listing and its
// commitments are two), and the reveals, the third stage, at most two: a
// hung call costs a few blocks, never the reveal window.
func (a *Agent) callWait() time.Duration {
	return max(a.cap.blockTime()/2, 2*time.Second)
}

// applyEvents updates what the agent knows of its jobs from the block's
// compute events, and reports whether any job was created.
func (a *Agent) applyEvents(b chainclient.Block) bool {
	created := false
	for _, ev := range b.Events {
		if !strings.HasPrefix(ev.Type, "aichain.compute.v1.Event") {
			continue
		}
		msg, err := sdk.ParseTypedEvent(abci.Event{Type: ev.Type, Attributes: ev.Attributes})
		if err != nil {
			continue
		}
		switch e := msg.(type) {
		case *computetypes.EventJobCreated:
			created = true
		case *computetypes.EventJobStateChanged:
			a.see(e.JobId, e.To, "", b.Height)
		case *computetypes.EventJobAwarded:
			a.see(e.JobId, computetypes.JobState_JOB_STATE_ASSIGNED, e.Winner, b.Height)
			if r, ok := a.recs[e.JobId]; ok && e.Winner == a.me && r.Deadline != e.ExecDeadline {
				r.Deadline = e.ExecDeadline
				a.touch(r)
			}
		case *computetypes.EventJobClosed:
			a.see(e.JobId, e.State, "", b.Height)
		}
	}
	return created
}

// see records a job's state (and winner) if the agent has a record of it.
func (a *Agent) see(id uint64, state computetypes.JobState, winner string, h int64) {
	if _, ok := a.recs[id]; !ok {
		return
	}
	v := a.view[id]
	v.state, v.at = state, h
	if winner != "" {
		v.winner = winner
	}
	a.view[id] = v
}

// seeJob records what a query returned about a job.
func (a *Agent) seeJob(job computetypes.Job) {
	r, ok := a.recs[job.Id]
	if !ok {
		return
	}
	v := a.view[job.Id]
	v.state, v.winner, v.at, v.asked, v.missing = job.State, job.Winner, a.height, a.height, 0
	a.view[job.Id] = v
	if job.Winner == a.me && job.ExecDeadline != 0 && r.Deadline != job.ExecDeadline {
		r.Deadline = job.ExecDeadline
		a.touch(r)
	}
}

// confirm settles the txs in flight: in this block (code 0: the phase
// advances; another code: the messages are tried again), or, once they have
// been out for TxTimeoutBlocks, checked one by one against the chain.
func (a *Agent) confirm(ctx context.Context, b chainclient.Block) error {
	byTx := map[string][]*Record{}
	for _, r := range a.recs {
		if r.PendingTx != "" {
			byTx[r.PendingTx] = append(byTx[r.PendingTx], r)
		}
	}
	timedOut := false
	var errs []error
	for hash, recs := range byTx {
		code, found := b.Txs[hash]
		sentAt := recs[0].SentAt
		if !found && (!b.Full || b.Height-sentAt >= 3) {
			res, ok, err := a.client.TxResult(ctx, hash)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				code, found = res.Code, true
			}
		}
		switch {
		case found && code == 0:
			for _, r := range recs {
				a.advance(r)
			}
		case found:
			a.metrics.FailedTxs.Inc()
			a.log.Warn("tx failed in its block; its messages are tried again", "tx", hash, "code", code, "msgs", len(recs))
			for _, r := range recs {
				r.PendingTx = ""
				a.touch(r)
			}
		case b.Height-sentAt > a.cfg.TxTimeoutBlocks:
			timedOut = true
			errs = append(errs, a.checkTimedOut(ctx, hash, recs))
		}
	}
	if timedOut {
		errs = append(errs, a.client.ResyncSequence(ctx))
	}
	return errors.Join(errs...)
}

// advance moves a record past the phase its confirmed tx completed.
func (a *Agent) advance(r *Record) {
	switch r.Phase {
	case PhaseBid:
		r.Phase = PhaseCommitted
		a.metrics.BidsCommitted.Inc()
	case PhaseCommitted:
		r.Phase = PhaseRevealed
		a.metrics.BidsRevealed.Inc()
	case PhaseExecuted:
		r.Phase = PhaseSubmitted
		a.metrics.ResultsSubmitted.Inc()
	case PhaseWon:
		if r.Abort {
			a.aborted(r)
		}
	}
	r.PendingTx = ""
	a.touch(r)
}

// checkTimedOut asks the chain what became of the messages of a tx that
// never showed up in a block: a commitment or a reveal is looked up among
// the job's bids, a result on the job; only what the chain has is marked
// done, the rest is tried again while its window is open.
func (a *Agent) checkTimedOut(ctx context.Context, hash string, recs []*Record) error {
	a.log.Warn("tx not in a block in time; checking its messages on chain", "tx", hash, "msgs", len(recs))
	var errs []error
	for _, r := range recs {
		done, err := a.onChain(ctx, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if done {
			a.advance(r)
			continue
		}
		r.PendingTx = ""
		a.touch(r)
	}
	return errors.Join(errs...)
}

// onChain reports whether the chain has what r's pending tx was sending.
func (a *Agent) onChain(ctx context.Context, r *Record) (bool, error) {
	if r.Phase == PhaseWon && r.Abort {
		res, err := a.query.Job(ctx, &computetypes.QueryJobRequest{JobId: r.ID})
		if err != nil {
			return false, err
		}
		a.seeJob(res.Job)
		return res.Job.State == computetypes.JobState_JOB_STATE_ABORTING || res.Job.AbortReason != computetypes.AbortReason_ABORT_REASON_UNSPECIFIED, nil
	}
	if r.Phase == PhaseExecuted {
		res, err := a.query.Job(ctx, &computetypes.QueryJobRequest{JobId: r.ID})
		if err != nil {
			return false, err
		}
		a.seeJob(res.Job)
		return res.Job.Result.SubmittedHeight > 0 && res.Job.Winner == a.me, nil
	}
	c, err := a.committed(ctx, r)
	if err != nil || c == nil {
		return false, err
	}
	return r.Phase == PhaseBid || c.Revealed, nil
}

// observe updates the gauges.
func (a *Agent) observe() {
	counts := map[Phase]int{}
	for _, r := range a.recs {
		counts[r.Phase]++
	}
	for p, name := range phaseNames {
		a.metrics.Jobs.WithLabelValues(name).Set(float64(counts[p]))
	}
	a.metrics.FetchesWaiting.Set(float64(a.fetches.len()))
	a.metrics.Height.Set(float64(a.height))
	a.metrics.BlockSeconds.Set(a.cap.blockTime().Seconds())
}
