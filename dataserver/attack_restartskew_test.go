package dataserver

import (
	"errors"
	"testing"
	"time"
)

// TestAttackLaggingClockReadsRestartAsNotServed: a server accepts a
// request signed up to Window (60 s) in the past, so a client whose clock
// is a few seconds behind the server's is served at any other time. Right
// after a start every request signed no later than the start's second is
// refused 401 signed_before_start (start.go), and Client signs anew only
// once, restartRetry (1 s) later, with the same lagging clock: a client 5 s
// behind is refused twice and its Download fails with a 401 that is not
// busy. The provider agent's resolver remembers that failure for
// FailureTTL (1 min) before it asks again, so each routine restart of an
// owner's server costs the winners of its jobs a minute of their execution
// windows, and a licensee's CLI download simply fails. (The signed HEAD
// probe, Holds, is not refused this way: checked first as a control.)
func TestAttackLaggingClockReadsRestartAsNotServed(t *testing.T) {
	fx := newFixture(t, true)
	fx.srv.notBefore = time.Now().Unix() + 1 // as if it had started this second
	c := fx.licensee.client(fx.url)
	c.Now = func() time.Time { return time.Now().Add(-5 * time.Second) } // within the 60 s window
	if err := c.Holds(t.Context(), 1, 1); err != nil {
		t.Errorf("a probe from a client 5 s behind, right after the server started: %v (ErrNotServed: %v); "+
			"the server holds the version and accepts such a client at any other time", err, errors.Is(err, ErrNotServed))
	}
	if got, err := c.Download(t.Context(), 1, 1, fx.expect()); err != nil || len(got) == 0 {
		t.Errorf("a download from a client 5 s behind, right after the server started: %d bytes, %v", len(got), err)
	}
}
