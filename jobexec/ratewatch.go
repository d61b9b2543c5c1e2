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
// MinRate over one of its RateWindows.
var ErrTooSlow = errors.New("transfer slower than the minimum rate")

// rateTransport cancels a request whose response body delivers fewer than
// need bytes in any window after its headers.
type rateTransport struct {
	base   http.RoundTripper
	need   int64
	window time.Duration
}

func (t rateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	res, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	b := &watchedBody{rc: res.Body, cancel: cancel, need: t.need, window: t.window}
	b.mu.Lock()
	b.timer = time.AfterFunc(t.window, b.check)
	b.mu.Unlock()
	res.Body = b
	return res, nil
}

// watchedBody counts what is read of a body; a timer checks the count every
// window and cancels the request when it grew by less than need.
type watchedBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	need   int64
	window time.Duration
	read   atomic.Int64
	slow   atomic.Bool

	mu    sync.Mutex
	timer *time.Timer
	seen  int64 // read at the last check
	done  bool  // closed, or read to its end
}

func (b *watchedBody) check() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	n := b.read.Load()
	if n-b.seen < b.need {
		b.slow.Store(true)
		b.cancel()
		return
	}
	b.seen = n
	b.timer.Reset(b.window)
}

func (b *watchedBody) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = true
	b.timer.Stop()
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.read.Add(int64(n))
	switch {
	case err == io.EOF:
		b.stop()
	case err != nil && b.slow.Load():
		err = fmt.Errorf("%w: under %d bytes in %s (%d read)", ErrTooSlow, b.need, b.window, b.read.Load())
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.stop()
	b.cancel()
	return b.rc.Close()
}
