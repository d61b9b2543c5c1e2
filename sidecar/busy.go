package sidecar

import (
	"context"
	"errors"
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
//     other: UNAVAILABLE only across unavailable_span_blocks (schedule.go).

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
