package dataserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/aichain/aichain/internal/slots"
)

// Downloads in flight (whole files and chunks, once authorized) are bounded
// in all (MaxDownloads) and per account (DownloadsPerAccount): each holds a
// handler, a connection and an open file, and one licensee opening many and
// reading none must not take them from every other buyer, provider and
// validator (TestAttackOneLicenseeHoldsUnboundedDownloads). ReservedDownloads
// of MaxDownloads are kept for the accounts whose reads the chain's
// settlement hangs on: the assigned provider of a live compute job (access
// by x/datamarket JobAccess) and the bonded validators' operators; a
// licensee or an owner takes a download only while fewer than MaxDownloads −
// ReservedDownloads are in flight, so that licensees, however many licences
// they bought, cannot keep a job's winner from its inputs until it aborts
// (TestAttackLicenseesHoldTheReservedDownloads). A whole file past a bound
// is answered 503 busy at once, with a Retry-After, which the clients honour
// (BusyError). A chunk, short to send, waits for a slot up to chunkSlotWait
// first (its tree built, holding no file), among at most
// waitersPerSlot×DownloadsPerAccount waiters of its account and MaxDownloads
// in all, so that a client's burst of chunk requests is served in turn
// (TestAttackConcurrentTreeMissesReadTheFileOnce); past the wait or the
// waiters' bound, 503 busy. A transfer whose reader takes nothing for
// StallTimeout is dropped: the write deadline is pushed StallTimeout ahead
// before every write of at most stallStep (64 KiB), so only a reader that
// stops reading (takes less than 64 KiB in StallTimeout) hits it, however
// long the whole file takes (WriteTimeout, the server's, still bounds that).
//
// Access is checked when a download starts, and again every AccessTTL while
// it runs (watchAccess): a download the chain no longer allows its signer (a
// licence transferred or expired, a job closed) is cut, so one licence
// passed from account to account holds no more than one account's downloads
// for longer than AccessTTL
// (TestAttackLicenseesHoldEveryDownloadSlotFromTheJobProvider).

// ErrTooManyDownloads is a download refused because the server, or the
// signer, has as many in flight as it allows (503 busy).
var ErrTooManyDownloads = errors.New("too many downloads in flight")

// errAccessEnded cuts a download whose signer's access has ended.
var errAccessEnded = errors.New("access ended during the download")

const (
	chunkSlotWait  = 5 * time.Second
	waitersPerSlot = 4
	// recheckRetry is how soon a failed re-check of a download's access
	// (busy, chain unavailable) is tried again.
	recheckRetry = time.Second
)

// startDownload takes a download slot for g's signer, waiting up to wait
// for one; call the returned function when the response is written. The
// reserved slots are taken only by a grant that may (g.reserved).
func (s *Server) startDownload(ctx context.Context, g *grant, wait time.Duration) (func(), *httpError) {
	limit := s.cfg.MaxDownloads
	if !g.reserved {
		limit -= s.cfg.ReservedDownloads
	}
	waiters := slots.Wait{All: s.cfg.MaxDownloads, PerKey: waitersPerSlot * s.cfg.DownloadsPerAccount}
	if !s.dl.Take(ctx, g.signer, limit, s.cfg.DownloadsPerAccount, wait, waiters) {
		return nil, g.refusal(&httpError{status: http.StatusServiceUnavailable, code: "busy", cause: ErrTooManyDownloads,
			msg: fmt.Sprintf("too many downloads in flight (at most %d per account, %d in all); retry",
				s.cfg.DownloadsPerAccount, limit)})
	}
	return func() { s.dl.Release(g.signer) }, nil
}

// watchAccess asks the chain again, every AccessTTL until stop is called
// (before the handler returns) or ctx ends, whether g's signer may still read the version, and cuts w
// when the chain answers no. A re-check that fails (no look-up slot, the
// chain unavailable) leaves the download running and is tried again
// recheckRetry later.
func (s *Server) watchAccess(ctx context.Context, g *grant, w *stallWriter) (stop func()) {
	done := make(chan struct{})
	key := accessKey{id: g.id, addr: g.signer, version: g.version.Version}
	go func() {
		t := time.NewTimer(s.cfg.AccessTTL)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-t.C:
			}
			ans, err := s.lookUp(ctx, key) // a fresh answer, not the cache's
			switch {
			case err != nil:
				t.Reset(recheckRetry)
			case !ans.ok:
				s.cfg.Logger.Info("access ended; download cut", "dataset", g.id, "version", g.version.Version, "to", g.signer)
				w.cut()
				return
			default:
				t.Reset(s.cfg.AccessTTL)
			}
		}
	}()
	return func() {
		close(done)
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
	}
}

// stallStep is the most a write sends under one deadline: a reader must take
// that much every StallTimeout.
const stallStep = 64 << 10

// stallWriter pushes the connection's write deadline StallTimeout ahead
// before every write, never past limit (zero: none); once cut, it ends the
// write in progress and refuses the next.
type stallWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	limit   time.Time
	pace    Pace
	from    time.Time    // when the pace starts: the start and its grace
	base    int64        // bytes the pace counts before this response's (PaceBook)
	check   func() error // nil, or an error cuts the response (PaceBook's quantum)
	sent    int64        // bytes written (the writer's goroutine only)
	status  int          // the status written (the writer's goroutine only; 0: none yet)

	mu     sync.Mutex
	ended  bool // cut: writes are refused
	closed bool // the response is written: cut does nothing
}

// guardStall returns w with the stall rule, its deadline never past
// WriteTimeout from now.
func (s *Server) guardStall(w http.ResponseWriter) *stallWriter {
	var limit time.Time
	if s.cfg.WriteTimeout > 0 {
		limit = time.Now().Add(s.cfg.WriteTimeout)
	}
	return newStallWriter(w, s.cfg.StallTimeout, limit)
}

func newStallWriter(w http.ResponseWriter, stall time.Duration, limit time.Time) *stallWriter {
	return &stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: stall, limit: limit}
}

// GuardStall returns w with the dataserver's stall rule for another server's
// long response (the provider agent's weights): every 64 KiB written pushes
// the connection's write deadline stall ahead, never past limit (zero:
// none), so a reader that keeps taking is served to the end however long
// the file, and one that stops is dropped after stall.
func GuardStall(w http.ResponseWriter, stall time.Duration, limit time.Time) http.ResponseWriter {
	return newStallWriter(w, stall, limit)
}

// Pace is a floor on a long response's progress: the byte at n must be
// sent Grace + n / Rate after the start (Rate 0: no floor). A reader that
// takes less is dropped when it falls behind, so that one holding a
// transfer slot takes the file at Rate, at the least, for it.
type Pace struct {
	Grace time.Duration
	Rate  int64 // bytes per second
}

// End is when a response of n bytes must be sent by, from its start
// (Rate 0: never, the longest Duration).
func (p Pace) End(n int64) time.Duration {
	if p.Rate <= 0 {
		return math.MaxInt64
	}
	return p.Grace + time.Duration(float64(max(n, 0))/float64(p.Rate)*float64(time.Second))
}

// extend pushes the deadline for the next step bytes; a connection that
// cannot take one (none of net/http's) is written without. It fails once w
// is cut.
func (w *stallWriter) extend(step int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended {
		return errAccessEnded
	}
	if w.check != nil {
		if err := w.check(); err != nil {
			w.ended = true
			_ = w.rc.SetWriteDeadline(time.Now())
			return err
		}
	}
	deadline := time.Now().Add(w.timeout)
	if !w.limit.IsZero() && deadline.After(w.limit) {
		deadline = w.limit
	}
	if w.pace.Rate > 0 {
		if d := w.from.Add(w.pace.End(w.base + w.sent + step)); d.Before(deadline) {
			deadline = d
		}
	}
	err := w.rc.SetWriteDeadline(deadline)
	if errors.Is(err, http.ErrNotSupported) {
		return nil
	}
	return err
}

// cut ends the download: the write in progress fails at once (its deadline
// is now) and every later one is refused. It may be called from another
// goroutine than the handler's.
func (w *stallWriter) cut() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.ended = true
	_ = w.rc.SetWriteDeadline(time.Now())
}

func (w *stallWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if err := w.extend(int64(min(len(p)-n, stallStep))); err != nil {
			return n, err
		}
		m, err := w.ResponseWriter.Write(p[n:min(len(p), n+stallStep)])
		n += m
		w.sent += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// ReadFrom sends src in steps of stallStep, each under a fresh deadline,
// through the connection's own ReadFrom (sendfile for a file over plain
// HTTP).
func (w *stallWriter) ReadFrom(src io.Reader) (int64, error) {
	left := int64(-1) // no limit
	lr, limited := src.(*io.LimitedReader)
	if limited {
		src, left = lr.R, max(lr.N, 0)
		defer func() { lr.N = left }()
	}
	var total int64
	for left != 0 {
		step := int64(stallStep)
		if left > 0 {
			step = min(step, left)
		}
		if err := w.extend(step); err != nil {
			return total, err
		}
		n, err := io.Copy(w.ResponseWriter, &io.LimitedReader{R: src, N: step})
		total += n
		w.sent += n
		if left > 0 {
			left -= n
		}
		if err != nil || n < step {
			return total, err
		}
	}
	return total, nil
}

// Unwrap lets http.ResponseController reach the connection.
func (w *stallWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriteHeader records the status and writes it.
func (w *stallWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// statusSent is the status the response went out with: 200 when the body
// was written without one.
func (w *stallWriter) statusSent() int {
	if w.status == 0 && w.sent > 0 {
		return http.StatusOK
	}
	return w.status
}
