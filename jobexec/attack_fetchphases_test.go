package jobexec

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestAttackRedirectPhasesAddToTheBodysTimeout: the old client's Timeout
// bounded a whole fetch (dial, TLS, headers and slurped bodies of every
// redirect, then the body). Now Timeout and AvgRate are counted from the
// last hop's headers only, and what comes before is bounded per hop alone.
// A server that sends little more than MinRate (160 KiB/s here: no
// bandwidth to speak of) answers each of 3 hops' headers just inside
// HeaderTimeout, trickles each redirect's body for one RateWindow, and then
// trickles the body: the fetch (and the provider's slot, sizing or sidecar
// worker waiting on it) is held for the hops' time on top of
// Timeout/(1 − rate/AvgRate). The policy is the default one scaled by 1/60
// (Timeout 2 s, HeaderTimeout 250 ms, RateWindow 170 ms); at defaults the
// hops add about 3 × (5 s dial + 5 s TLS + 15 s headers) + 2 × 10 s ≈ 95 s
// (CheckRedirect allows 2 redirects) to the body's ≈ 122 s.
func TestAttackRedirectPhasesAddToTheBodysTimeout(t *testing.T) {
	p := FetchPolicy{AllowLocal: true, HeaderTimeout: 250 * time.Millisecond, Timeout: 2 * time.Second,
		AvgRate: 4 << 20, MinRate: 64 << 10, RateWindow: 170 * time.Millisecond}
	const piece, gap = 8 << 10, 50 * time.Millisecond // 160 KiB/s: above MinRate, far under AvgRate
	trickle := func(w http.ResponseWriter, r *http.Request) {
		f := w.(http.Flusher)
		for {
			if _, err := w.Write(make([]byte, piece)); err != nil {
				return
			}
			f.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(gap):
			}
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(p.HeaderTimeout - 20*time.Millisecond) // headers just inside HeaderTimeout, every hop
		var hop int
		fmt.Sscanf(r.URL.Path, "/%d", &hop)
		if hop < 2 { // CheckRedirect stops at len(via) >= 3: 3 requests, 2 redirects
			w.Header().Set("Location", fmt.Sprintf("/%d", hop+1))
			w.WriteHeader(http.StatusFound)
			w.(http.Flusher).Flush()
			// The client slurps up to 2 KiB of a redirect's body: send a
			// byte at a time until the window check cuts it.
			for i := 0; i < 2<<10; i++ {
				if _, err := w.Write([]byte{0}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(p.RateWindow / 4):
				}
			}
			return
		}
		w.WriteHeader(http.StatusOK)
		trickle(w, r)
	}))
	defer srv.Close()

	start := time.Now()
	_, err := getAll(p.HTTPClient(), srv.URL+"/0")
	took := time.Since(start)
	rate := float64(piece) / gap.Seconds()
	bound := time.Duration(float64(p.Timeout)/(1-rate/float64(p.AvgRate))) + 300*time.Millisecond
	if !errors.Is(err, ErrTooSlow) {
		t.Fatalf("a body trickled under AvgRate: %v after %v; want ErrTooSlow", err, took)
	}
	t.Logf("held %v (bound %v): %v", took.Round(time.Millisecond), bound, err)
	if took > bound {
		t.Fatalf("a server sending at most %.0f KiB/s held the fetch %v: the redirects' headers and bodies "+
			"are not counted against Timeout (cut off at Timeout/(1 − rate/AvgRate) = %v after the last hop's "+
			"headers, not after the request); the old whole-fetch timeout ended it at %v",
			rate/1024, took.Round(time.Millisecond), bound-300*time.Millisecond, p.Timeout)
	}
}
