package dataserver

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestParseRetryAfter: both forms of Retry-After (delay-seconds and an
// HTTP-date, in any of the three date formats HTTP/1.1 accepts); a missing,
// malformed, negative or past value is 0; a huge one (past a day, or past
// what a Duration holds) is capped at a day.
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	in90 := now.Add(90 * time.Second)
	for _, c := range []struct {
		value string
		want  time.Duration
	}{
		{"2", 2 * time.Second},
		{" 120 ", 120 * time.Second},
		{"0", 0},
		{"", 0},
		{"soon", 0},
		{"-5", 0},
		{"+5", 0},
		{"1.5", 0},
		{"2s", 0},
		{in90.Format(http.TimeFormat), 90 * time.Second},
		{in90.Format(time.RFC850), 90 * time.Second},
		{in90.Format(time.ANSIC), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"Sun, 32 Nov 2026 12:00:00 GMT", 0},
		{"86400", maxRetryAfter},
		{"86401", maxRetryAfter},
		{"99999999999999999999999", maxRetryAfter},
		{now.AddDate(5, 0, 0).Format(http.TimeFormat), maxRetryAfter},
	} {
		if got := ParseRetryAfter(c.value, now); got != c.want {
			t.Errorf("Retry-After %q: %s, want %s", c.value, got, c.want)
		}
	}
}

// TestBusyAnswerIsNotAnAnswerOfAbsence: a validator's probe of an aborted
// job's dataset (Client.Holds) answered 503 busy used to come back as
// ErrNotServed, the same as a 404, and three of them made the sidecar vote
// the dataset gone. A busy answer (503 or 429) is now a *BusyError with the
// server's Retry-After, not ErrNotServed; the refusal stays matchable as an
// *HTTPError. The 503 comes from a real server whose strangers' look-up pool
// is full.
func TestBusyAnswerIsNotAnAnswerOfAbsence(t *testing.T) {
	fx := newFixture(t, true)
	g := gate(t, fx, func(string) bool { return true })
	gc, release, results, start, wg := g.chain, g.release, g.results, g.start, &g.wg
	fillPool(t, fx, gc.arrived, results, start)

	err := newAccount().client(fx.url).Holds(t.Context(), 1, 1)
	wantBusy(t, err, http.StatusServiceUnavailable, time.Second)
	release()
	wg.Wait()

	status, retryAfter := http.StatusTooManyRequests, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", retryAfter)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	err = newAccount().client(srv.URL).Holds(t.Context(), 1, 1)
	wantBusy(t, err, http.StatusTooManyRequests, 58*time.Minute)
	status = http.StatusNotFound
	err = newAccount().client(srv.URL).Holds(t.Context(), 1, 1)
	var busy *BusyError
	if !errors.Is(err, ErrNotServed) || errors.As(err, &busy) {
		t.Fatalf("a 404: %v, want ErrNotServed and not busy", err)
	}
}

// wantBusy checks that err is a busy answer with status and a Retry-After
// of at least retryAfter (and at most an hour).
func wantBusy(t *testing.T, err error, status int, retryAfter time.Duration) {
	t.Helper()
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Status != status || busy.RetryAfter < retryAfter || busy.RetryAfter > time.Hour {
		t.Fatalf("a busy answer: %v, want a *BusyError of status %d retrying after %s", err, status, retryAfter)
	}
	if errors.Is(err, ErrNotServed) {
		t.Fatalf("a busy answer counts as ErrNotServed: %v", err)
	}
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != status {
		t.Fatalf("a busy answer does not wrap its *HTTPError: %v", err)
	}
}
