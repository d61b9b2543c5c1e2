package jobexec

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestAttackCompressedTrickleOutrunsTheRateChecks: Go's transport asks for
// gzip on its own and decompresses what comes back, so the fetch policy's
// rate checks counted decompressed bytes. A hostile model or dataset server
// that trickles a gzip of zeros at a few KiB/s on the wire passed MinRate
// and AvgRate at a thousand times that, and held the fetch (a provider's
// slot, a sidecar's worker) for the whole of Timeout + its size at AvgRate
// where a trickle is cut after one RateWindow. The agents ask for no
// compression: the rates are the wire's.
func TestAttackCompressedTrickleOutrunsTheRateChecks(t *testing.T) {
	p := FetchPolicy{AllowLocal: true, Timeout: 5 * time.Second, AvgRate: 4 << 20, MinRate: 64 << 10,
		RateWindow: 200 * time.Millisecond}
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestCompression)
	_, _ = zw.Write(make([]byte, 256<<20)) // 256 MiB of zeros, about 250 KiB zipped
	_ = zw.Close()
	const piece, gap = 1 << 10, 50 * time.Millisecond // 20 KiB/s on the wire
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") == "" {
			// Not asked for gzip: send it raw anyway at the same trickle
			// (the client does not decode what it did not ask for).
			w.Header().Set("Content-Type", "application/octet-stream")
		} else {
			w.Header().Set("Content-Encoding", "gzip")
		}
		b := zipped.Bytes()
		for len(b) > 0 {
			n := min(piece, len(b))
			if _, err := w.Write(b[:n]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			b = b[n:]
			select {
			case <-r.Context().Done():
				return
			case <-time.After(gap):
			}
		}
	}))
	defer srv.Close()

	start := time.Now()
	body, err := getAll(p.HTTPClient(), srv.URL)
	took := time.Since(start)
	if !errors.Is(err, ErrTooSlow) {
		t.Fatalf("a trickle of 20 KiB/s on the wire (MinRate 64 KiB/s) read %d bytes in %v: %v; want ErrTooSlow within a few windows",
			len(body), took.Round(time.Millisecond), err)
	}
	if took > 10*p.RateWindow {
		t.Fatalf("cut after %v; want within a few RateWindows (%v)", took, p.RateWindow)
	}
}
