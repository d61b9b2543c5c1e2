package dataserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// The replay store (nonces) and the memory of refusals live in memory: a
// restarted server has forgotten the requests it served, and would serve a
// copy of any of them signed within the window again (a TLS-terminating
// proxy's log, a plain-HTTP hop; TestAttackReplayAfterRestart). So a server
// refuses every request signed before it started: New records the start,
// and a request whose signed timestamp (Unix seconds) is not after the
// second the server started in is answered 401 signed_before_start
// (ErrSignedBeforeStart), whatever its access. Timestamps are whole
// seconds, and the previous process may have served, in the very second
// this one started, a request signed in that second: so that second is
// refused too, and Load, before it first returns, waits until the clock is
// past it (at most a second), so that a server answers no request before
// fresh signatures are accepted. A request signed after the start has its
// nonce in this process's store, so a copy of it is refused as a replay.
// Honest clients sign every request anew (Client re-signs once, a second
// later, when refused this way).
//
// Left open: a client whose clock runs ahead of the server's (by up to
// FutureSkew, 5 s by default) signs timestamps past the second it sends
// in; a copy of such a request that the previous process served less than
// that much before the restart stays fresh after it. Closing that would
// refuse every request for FutureSkew after each start.

// ErrSignedBeforeStart is a request signed no later than the second the
// server started in (401 signed_before_start): it may have been served by
// the previous process, whose nonces are gone. Sign it anew.
var ErrSignedBeforeStart = errors.New("signed before the server started")

// codeSignedBeforeStart is the code of ErrSignedBeforeStart's refusal.
const codeSignedBeforeStart = "signed_before_start"

// checkStarted refuses a request signed no later than the start's second.
func (s *Server) checkStarted(signed *signedreq.Verified) *httpError {
	if signed.Timestamp >= s.notBefore {
		return nil
	}
	return &httpError{status: http.StatusUnauthorized, code: codeSignedBeforeStart, cause: ErrSignedBeforeStart, notBefore: s.notBefore,
		msg: fmt.Sprintf("signed at %d, not after the second this server started in (%d): sign the request anew",
			signed.Timestamp, s.notBefore-1)}
}

// awaitStart waits until the clock is past the second the server started
// in, or ctx ends.
func (s *Server) awaitStart(ctx context.Context) error {
	wait := time.Unix(s.notBefore, 0).Sub(s.cfg.Now())
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
