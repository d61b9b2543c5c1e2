package signedhttp

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aichain/aichain/chainclient/signedreq"
)

// SlotHolder is a hostile validator's reader of a weights server: it takes
// a transfer slot and reads nothing; from just before Grace ends it asks
// again, back to back (refused while its signer holds its slots), so that
// it takes a slot again as soon as a cut frees one. It then reads what the
// connection's buffers hold of the transfer cut: the bytes it received,
// its whole cost besides the requests. Its counts are read after Run.
type SlotHolder struct {
	Signer   signedreq.Signer
	Aud, URL string
	Grace    time.Duration

	Took    int64         // bytes received
	Asks    int64         // requests sent
	Holds   int64         // slots taken
	HeldFor time.Duration // from each take to the next (or the end)
	held    atomic.Bool
}

// Holding reports whether it has taken a slot.
func (h *SlotHolder) Holding() bool { return h.held.Load() }

// Run asks and holds until ctx ends.
func (h *SlotHolder) Run(ctx context.Context) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	var held *http.Response
	var heldAt time.Time
	release := func(now time.Time) {
		n, _ := io.Copy(io.Discard, held.Body)
		h.Took += n
		_ = held.Body.Close()
		h.HeldFor += now.Sub(heldAt)
	}
	defer func() {
		if held != nil {
			release(time.Now())
		}
	}()
	for ctx.Err() == nil {
		if held != nil {
			if wait := time.Until(heldAt.Add(h.Grace * 9 / 10)); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL, nil)
		if err != nil {
			return
		}
		if err := signedreq.Sign(req, h.Signer, h.Aud, time.Now()); err != nil {
			return
		}
		h.Asks++
		res, err := client.Do(req)
		if err != nil {
			continue
		}
		if res.StatusCode != http.StatusOK {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
			_ = res.Body.Close()
			continue
		}
		now := time.Now()
		if held != nil { // cut: this one would have been refused while it was held
			release(now)
		}
		held, heldAt = res, now
		h.Holds++
		h.held.Store(true)
	}
}

// LongestWait is the longest an honest reader that asked all along from
// start to end went without being served: from start to its first service,
// between two services, or from its last to end (all of it when never
// served).
func LongestWait(start, end time.Time, served []time.Time) time.Duration {
	longest, from := time.Duration(0), start
	for _, at := range append(served, end) {
		longest = max(longest, at.Sub(from))
		from = at
	}
	return longest
}
