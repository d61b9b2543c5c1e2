package dataserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aichain/aichain/internal/slots"
)

// Downloads in flight (whole files and chunks, once authorized) are bounded
// in all (MaxDownloads) and per account (DownloadsPerAccount): each holds a
// handler, a connection and an open file, and one licensee opening many and
// reading none must not take them from every other buyer, provider and
// validator (TestAttackOneLicenseeHoldsUnboundedDownloads). A whole file
// past either bound is answered 503 busy at once, with a Retry-After, which
// the clients honour (BusyError). A chunk, short to send, waits for a slot
// up to chunkSlotWait first (its tree built, holding no file), among at most
// waitersPerSlot×DownloadsPerAccount waiters of its account and MaxDownloads
// in all, so that a client's burst of chunk requests is served in turn
// (TestAttackConcurrentTreeMissesReadTheFileOnce); past the wait or the
// waiters' bound, 503 busy. A transfer whose reader takes nothing for
// StallTimeout is dropped: the write deadline is pushed StallTimeout ahead
// before every write of at most stallStep (64 KiB), so only a reader that
// stops reading (takes less than 64 KiB in StallTimeout) hits it, however
// long the whole file takes (WriteTimeout, the server's, still bounds that).

// ErrTooManyDownloads is a download refused because the server, or the
// signer, has as many in flight as it allows (503 busy).
var ErrTooManyDownloads = errors.New("too many downloads in flight")

const (
	chunkSlotWait  = 5 * time.Second
	waitersPerSlot = 4
)

// startDownload takes a download slot for g's signer, waiting up to wait
// for one; call the returned function when the response is written.
func (s *Server) startDownload(ctx context.Context, g *grant, wait time.Duration) (func(), *httpError) {
	waiters := slots.Wait{All: s.cfg.MaxDownloads, PerKey: waitersPerSlot * s.cfg.DownloadsPerAccount}
	if !s.dl.Take(ctx, g.signer, s.cfg.MaxDownloads, s.cfg.DownloadsPerAccount, wait, waiters) {
		return nil, g.refusal(&httpError{status: http.StatusServiceUnavailable, code: "busy", cause: ErrTooManyDownloads,
			msg: fmt.Sprintf("too many downloads in flight (at most %d per account, %d in all); retry",
				s.cfg.DownloadsPerAccount, s.cfg.MaxDownloads)})
	}
	return func() { s.dl.Release(g.signer) }, nil
}

// stallStep is the most a write sends under one deadline: a reader must take
// that much every StallTimeout.
const stallStep = 64 << 10

// stallWriter pushes the connection's write deadline StallTimeout ahead
// before every write, never past limit (zero: none).
type stallWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	limit   time.Time
}

// guardStall returns w with the stall rule, its deadline never past
// WriteTimeout from now.
func (s *Server) guardStall(w http.ResponseWriter) *stallWriter {
	sw := &stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: s.cfg.StallTimeout}
	if s.cfg.WriteTimeout > 0 {
		sw.limit = time.Now().Add(s.cfg.WriteTimeout)
	}
	return sw
}

// extend pushes the deadline; a connection that cannot take one (none of
// net/http's) is written without.
func (w *stallWriter) extend() error {
	deadline := time.Now().Add(w.timeout)
	if !w.limit.IsZero() && deadline.After(w.limit) {
		deadline = w.limit
	}
	err := w.rc.SetWriteDeadline(deadline)
	if errors.Is(err, http.ErrNotSupported) {
		return nil
	}
	return err
}

func (w *stallWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if err := w.extend(); err != nil {
			return n, err
		}
		m, err := w.ResponseWriter.Write(p[n:min(len(p), n+stallStep)])
		n += m
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
		if err := w.extend(); err != nil {
			return total, err
		}
		n, err := io.Copy(w.ResponseWriter, &io.LimitedReader{R: src, N: step})
		total += n
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
