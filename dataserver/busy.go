package dataserver

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BusyError is a busy answer (503 Service Unavailable or 429 Too Many
// Requests): the server is up and asks to be asked again RetryAfter later
// (its Retry-After header, ParseRetryAfter; 0 when it gave none or one that
// does not parse). It wraps the refusal (an *HTTPError from Client), so a
// caller that matches the status with errors.As still can; match the busy
// answer itself with errors.As too, never by its text.
type BusyError struct {
	Status     int
	RetryAfter time.Duration
	Err        error
}

func (e *BusyError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("server busy (HTTP %d, retry after %s): %v", e.Status, e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("server busy (HTTP %d): %v", e.Status, e.Err)
}

// Unwrap returns the refusal.
func (e *BusyError) Unwrap() error { return e.Err }

// isBusyStatus reports a status that says "busy, ask again": 503 and 429.
func isBusyStatus(status int) bool {
	return status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests
}

// WrapBusy returns err (the refusal read from resp) as a *BusyError when
// resp's status is busy, with its Retry-After read at now; err otherwise.
func WrapBusy(resp *http.Response, err error, now time.Time) error {
	if !isBusyStatus(resp.StatusCode) {
		return err
	}
	return &BusyError{Status: resp.StatusCode, RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), now), Err: err}
}

// maxRetryAfter caps a parsed Retry-After: a day, far past any wait a
// caller honours (the sidecar's MaxRetryAfter), and short of overflowing a
// Duration whatever the server sends.
const maxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After header value (RFC 9110, section
// 10.2.3): delay-seconds (digits only), or an HTTP-date, read against now.
// A missing or malformed value, a negative number or a date in the past is
// 0; a wait over a day is a day.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil || secs >= uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter // only an overflow fails: digits only
		}
		return time.Duration(secs) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return min(max(at.Sub(now), 0), maxRetryAfter)
}
