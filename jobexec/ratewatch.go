package jobexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ErrTooSlow is a response body that arrived slower than the fetch policy's
// MinRate over one of its RateWindows, or that is still arriving past its
// Timeout and has averaged less than its AvgRate.
var ErrTooSlow = errors.New("transfer slower than the minimum rate")

// rateTransport cancels a request whose response body delivers fewer than
// need bytes in any window after its headers, or which past grace (from
// the fetch's first request) has delivered fewer than avg bytes a second.
type rateTransport struct {
	base   http.RoundTripper
	need   int64
	window time.Duration
	grace  time.Duration
	avg    int64
}

// RoundTrip counts grace from the fetch's first request: a redirected
// request (req.Response set) keeps its first hop's start, so that the hops'
// dials, headers and redirect bodies, each bounded alone, do not add up to
// more than grace before the body (TestAttackRedirectPhasesAddToTheBodysTimeout).
func (t rateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	if prev := req.Response; prev != nil {
		if wb, ok := prev.Body.(*watchedBody); ok {
			start = wb.start
		}
	}
	ctx, cancel := context.WithCancel(req.Context())
	var pre *time.Timer
	if t.grace > 0 {
		pre = time.AfterFunc(time.Until(start.Add(t.grace)), cancel)
	}
	res, err := t.base.RoundTrip(req.WithContext(ctx))
	if pre != nil && !pre.Stop() { // grace ran out before the headers
		if err == nil {
			_ = res.Body.Close()
		}
		cancel()
		return nil, fmt.Errorf("%w: no response within %s", ErrTooSlow, t.grace)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	// A resumed transfer (PartialFetch) is one transfer of all its bytes in
	// all its time: the rates count what the earlier requests took, and
	// the bytes they received when the server sends the rest (206).
	var got int64
	if rf, ok := req.Context().Value(resumeKey{}).(resumeFrom); ok && (res.StatusCode == http.StatusOK || res.StatusCode == http.StatusPartialContent) {
		start = start.Add(-rf.spent)
		if res.StatusCode == http.StatusPartialContent {
			got = rf.got
		}
	}
	b := &watchedBody{rc: res.Body, cancel: cancel, need: t.need, window: t.window,
		start: start, grace: t.grace, avg: t.avg, seen: got}
	b.read.Store(got)
	b.mu.Lock()
	b.timer = time.AfterFunc(t.window, b.check)
	if t.grace > 0 && t.avg > 0 {
		b.deadline = time.AfterFunc(max(time.Until(start.Add(t.grace)), 0), b.checkAverage)
	}
	b.mu.Unlock()
	res.Body = b
	return res, nil
}

// watchedBody counts what is read of a body; a timer checks the count every
// window and cancels the request when it grew by less than need, and
// another (deadline) cancels it once the time since start exceeds grace and
// the time its bytes take at avg.
type watchedBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	need   int64
	window time.Duration
	start  time.Time
	grace  time.Duration
	avg    int64
	read   atomic.Int64
	slow   atomic.Pointer[error] // why the request was canceled

	mu       sync.Mutex
	timer    *time.Timer
	deadline *time.Timer
	seen     int64 // read at the last check
	done     bool  // closed, or read to its end
}

func (b *watchedBody) check() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	n := b.read.Load()
	if n-b.seen < b.need {
		b.cutLocked(fmt.Errorf("%w: under %d bytes in %s (%d read)", ErrTooSlow, b.need, b.window, n))
		return
	}
	b.seen = n
	b.timer.Reset(b.window)
}

// checkAverage cancels the request when it has taken longer than grace and
// its bytes at avg, and otherwise looks again when it will have.
func (b *watchedBody) checkAverage() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	n := b.read.Load()
	allowed := b.grace + time.Duration(float64(n)/float64(b.avg)*float64(time.Second))
	took := time.Since(b.start)
	if took >= allowed {
		b.cutLocked(fmt.Errorf("%w: %d bytes in %s, past %s under %d bytes/s on average", ErrTooSlow,
			n, took.Round(time.Millisecond), b.grace, b.avg))
		return
	}
	b.deadline.Reset(allowed - took)
}

// cutLocked cancels the request for why.
func (b *watchedBody) cutLocked(why error) {
	if b.slow.CompareAndSwap(nil, &why) {
		b.cancel()
	}
}

func (b *watchedBody) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = true
	b.timer.Stop()
	if b.deadline != nil {
		b.deadline.Stop()
	}
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.read.Add(int64(n))
	switch {
	case err == io.EOF:
		b.stop()
	case err != nil && b.slow.Load() != nil:
		err = *b.slow.Load()
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.stop()
	b.cancel()
	return b.rc.Close()
}
