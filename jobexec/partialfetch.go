package jobexec

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aichain/aichain/workload"
)

// PartialFetch keeps what the fetches of a model's weights from their uri
// under a context carrying it (WithPartialFetch) received before their
// context ended, for the next fetch of the same file from the same uri to
// ask for the rest (a Range request from where it stopped). A fetch of a
// uri went on in one request to its end: a sidecar's model load could not
// give its slot back and resume, and two hostile models whose uris
// trickled held both slots for the fetch policy's Timeout, an honest job
// whose model was not loaded yet waiting behind them
// (sidecar TestAttackTricklingModelsHoldEveryModelLoadSlot).
//
// The bytes are kept only while the fetch is cut by its context: one that
// ends (the whole file, or a failure of the uri) keeps nothing, and the
// file is checked whole against its sha256 as a single download is. A
// server that answers a Range request with the whole file (200) is
// fetched afresh, the bytes kept discarded. The time the fetches took is
// kept with the bytes, and a resumed transfer is held to the fetch
// policy's rates as one transfer of all its bytes in all that time
// (Timeout + size / AvgRate): resuming gives a trickle no fresh Timeout
// (TestAttackResumedTrickleGetsNoFreshTimeout). A fresh fetch (a server
// ignoring Range) keeps the time too, with none of the bytes: a uri that
// cannot be resumed, cut again and again, fails as a slow one does, and
// its callers go to their mirrors, where starting it again from zero at
// each cut would never end it.
//
// One PartialFetch is used by one fetch at a time; it is safe to share.
type PartialFetch struct {
	mu    sync.Mutex
	uri   string
	sha   string
	data  []byte
	spent time.Duration
}

// Bytes is the memory p holds: its buffer's capacity.
func (p *PartialFetch) Bytes() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(cap(p.data))
}

// DropBytes frees p's bytes and keeps the time its fetches took: the next
// fetch asks for the file from its start and is held to the fetch
// policy's rates as one transfer over all that time, as after a server
// that ignores the Range. A caller that frees the bytes for room (the
// sidecar's paused loads) gives the uri no fresh Timeout
// (TestAttackResumedTrickleGetsNoFreshTimeout).
func (p *PartialFetch) DropBytes() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.data = nil
}

// Received is how many bytes of the file p holds.
func (p *PartialFetch) Received() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(len(p.data))
}

type partialFetchKey struct{}

// WithPartialFetch returns ctx under which the resolver fetches a model's
// weights from an http(s) uri into p, from where p's bytes stop, and
// keeps in p what it received when ctx ends before the end of the file.
func WithPartialFetch(ctx context.Context, p *PartialFetch) context.Context {
	return context.WithValue(ctx, partialFetchKey{}, p)
}

// resumeFrom is what a resumed request's transfer counts as already done:
// its bytes and the time they took (rateTransport).
type resumeFrom struct {
	got   int64
	spent time.Duration
}

type resumeKey struct{}

// ErrBadRange is a server answering a Range request with a range other
// than the one asked: a failed fetch.
var ErrBadRange = errors.New("the server answered another range")

// fetchWeights is fetchURI, into ctx's PartialFetch when it carries one
// and uri is http(s).
func (r *ChainResolver) fetchWeights(ctx context.Context, sha, uri string) ([]byte, error) {
	p, _ := ctx.Value(partialFetchKey{}).(*PartialFetch)
	if u, err := url.Parse(uri); p == nil || err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return r.fetchURI(ctx, uri)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.uri != uri || p.sha != sha {
		p.uri, p.sha, p.data, p.spent = uri, sha, nil, 0
	}
	start := time.Now()
	data, err := r.fetchOnto(ctx, p)
	p.spent += time.Since(start)
	if err != nil && ctx.Err() != nil {
		return nil, err // cut: the bytes are kept for the next fetch
	}
	p.data, p.spent = nil, 0
	return data, err
}

// fetchOnto fetches p's uri from where p's bytes stop (from its start
// when the server ignores the Range), appending to them. p.mu is held.
func (r *ChainResolver) fetchOnto(ctx context.Context, p *PartialFetch) ([]byte, error) {
	limit := r.maxFileBytes()
	got := int64(len(p.data))
	req, err := http.NewRequestWithContext(context.WithValue(ctx, resumeKey{}, resumeFrom{got: got, spent: p.spent}),
		http.MethodGet, p.uri, nil)
	if err != nil {
		return nil, err
	}
	if got > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(got, 10)+"-")
	}
	res, err := r.cfg.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusPartialContent && got > 0:
		if from, ok := rangeStart(res.Header.Get("Content-Range")); !ok || from != got {
			return nil, fmt.Errorf("%w: asked from byte %d, answered %q", ErrBadRange, got, res.Header.Get("Content-Range"))
		}
	case res.StatusCode == http.StatusOK: // the whole file: a fresh fetch, in the time spent
		p.data, got = p.data[:0], 0
	default:
		return nil, fmt.Errorf("HTTP %d", res.StatusCode)
	}
	if res.ContentLength > limit-got {
		return nil, fmt.Errorf("%w: %d bytes after %d, limit %d", workload.ErrTooLarge, res.ContentLength, got, limit)
	}
	// A body of known length comes into a buffer of its size, not one
	// grown by doubling: a file of exactly the most a paused load may keep
	// (the sidecar's MaxWeightsBytes) is then kept, not dropped at every
	// pause for one byte over.
	if n := res.ContentLength; n >= 0 && int64(cap(p.data)-len(p.data)) < n {
		grown := make([]byte, len(p.data), got+n)
		copy(grown, p.data)
		p.data = grown
	}
	p.data, err = ReadCapped(res.Body, p.data, limit+1)
	if err != nil {
		return nil, err
	}
	if int64(len(p.data)) > limit {
		return nil, fmt.Errorf("%w: file over the limit of %d bytes", workload.ErrTooLarge, limit)
	}
	return p.data, nil
}

// rangeStart is the first byte of a Content-Range "bytes a-b/n".
func rangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	a, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(a, 10, 64)
	return n, err == nil
}

// maxFileBytes is the most a fetch of a uri reads.
func (r *ChainResolver) maxFileBytes() int64 {
	if r.cfg.Limits.MaxFileBytes > 0 {
		return r.cfg.Limits.MaxFileBytes
	}
	return workload.DefaultLimits().MaxFileBytes
}
