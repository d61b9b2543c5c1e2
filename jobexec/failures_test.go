package jobexec

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aichain/aichain/dataserver"
)

// A won job's dataset whose server answered busy (its look-up pools full a
// moment, Retry-After 2 s) was not asked again for the failure ttl (a
// minute), while the agent retries inputs every 3 blocks and aborts after
// half its window: a busy answer is remembered for its Retry-After only; a
// broken server for the ttl.
func TestBusyDatasetServerIsNotRememberedForTheTTL(t *testing.T) {
	f := failures{ttl: time.Minute}
	now := time.Unix(1_000_000, 0)
	busy := &dataserver.BusyError{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second, Err: errors.New("HTTP 503")}
	f.record("busy", busy, now)
	f.record("broken", errors.New("connection refused"), now)
	f.record("busy for an hour", &dataserver.BusyError{Status: http.StatusTooManyRequests, RetryAfter: time.Hour}, now)
	if err := f.check("busy", now.Add(time.Second)); !errors.Is(err, ErrRecentFailure) {
		t.Fatalf("within its Retry-After: %v, want ErrRecentFailure", err)
	}
	if err := f.check("busy", now.Add(3*time.Second)); err != nil {
		t.Fatalf("after its Retry-After: %v", err)
	}
	if err := f.check("broken", now.Add(3*time.Second)); !errors.Is(err, ErrRecentFailure) {
		t.Fatalf("a broken server after 3 s: %v, want ErrRecentFailure", err)
	}
	if err := f.check("busy for an hour", now.Add(61*time.Second)); err != nil {
		t.Fatalf("a Retry-After longer than the ttl, after the ttl: %v", err)
	}
}
