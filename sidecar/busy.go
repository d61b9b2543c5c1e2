package sidecar

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aichain/aichain/dataserver"
)

// Busy servers. A dataset server (its access look-up pools full) and a
// provider (its weights transfers) answer a request they cannot take now
// with 503 or 429 and Retry-After; dataserver.Client and signedGet return
// that answer as a *dataserver.BusyError. Asked again RetryBackoff (1 s)
// later, three times, a server busy for a few seconds was voted gone, and
// asked at the sidecar's pace rather than its own. Now:
//   - an attempt that got a busy answer waits max(RetryBackoff, its
//     Retry-After) before the next, the Retry-After capped by MaxRetryAfter
//     (a server cannot park a worker for long) and the wait by the check's
//     context (its window's end, the job leaving the list, the sidecar's
//     shutdown: retryWait, sleep);
//   - an input check whose dataset server is still busy at its last attempt
//     abstains at that poll and is tried again at later polls; the server
//     counts as unavailable (VERDICT_DATASET_UNAVAILABLE) only once it has
//     been busy across a bound of blocks (jobState.busyFor), so that an
//     owner cannot answer busy for ever to keep its fee;
//   - a chunk fetch that fails on a busy provider is a failed fetch as any
//     other: UNAVAILABLE only across unavailable_span_blocks (schedule.go);
//   - the provider's weights mirror (weightsFrom) is asked again after a
//     busy answer as a chunk is, and a mirror still busy at its last attempt
//     is a failed fetch of that poll, the same rule (see weightsFrom);
//   - the waits that busy answers ask for in one check (a job's weights
//     mirror and all its sampled chunks, or an aborted job's input probes,
//     across every slice of the check: slice.go) come out of one budget of
//     MaxRetryAfter (busyBudget): a server answering busy with a long
//     Retry-After parks a worker no longer than one such wait, and once the
//     budget is spent a busy answer fails its fetch there and then (a
//     chunk: tried again at later polls, by the span rule; an input probe:
//     a busy poll, by busyFor's bound).

// retryWait is the wait before the attempt after one that failed with err:
// RetryBackoff, or the Retry-After of a busy answer when longer, at most
// MaxRetryAfter.
func (v *Verifier) retryWait(err error) time.Duration {
	wait := v.cfg.RetryBackoff
	var busy *dataserver.BusyError
	if errors.As(err, &busy) {
		wait = max(wait, min(busy.RetryAfter, v.cfg.MaxRetryAfter))
	}
	return wait
}

// sleep waits d, or until ctx ends: false when it ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// busyBudget is what is left of the time one check of a job's chunks may
// spend waiting on busy answers (MaxRetryAfter at its start). Without it a
// provider answering each sampled chunk busy with Retry-After: 30 twice and
// serving it the third time held a worker 2 × MaxRetryAfter per chunk, far
// past the fetch policy's bound for a provider that stalls every attempt
// (TestAttackBusyChunksParkAWorker). One check's fetches run one after
// another: no lock.
type busyBudget struct{ left time.Duration }

// newBusyBudget is the budget of one check (of a job's chunks: of all its
// slices, chunkProgress).
func (v *Verifier) newBusyBudget() *busyBudget { return &busyBudget{left: v.cfg.MaxRetryAfter} }

// pause waits before the attempt after one that failed with err
// (retryWait). A busy answer's wait is charged to b; one that b no longer
// covers is not waited: pause returns err, and the fetch fails with it. It
// returns ctx's error when ctx ends during the wait, nil to go on.
func (v *Verifier) pause(ctx context.Context, err error, b *busyBudget) error {
	wait := v.retryWait(err)
	var busy *dataserver.BusyError
	if errors.As(err, &busy) {
		if wait > b.left {
			return fmt.Errorf("busy past this check's wait budget (%s): %w", v.cfg.MaxRetryAfter, err)
		}
		b.left -= wait
	}
	if !sleep(ctx, wait) {
		return ctx.Err()
	}
	return nil
}
