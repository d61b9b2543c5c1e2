package jobexec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// ErrForbiddenAddress is a fetch to an address that agents do not reach
// (loopback, private, link-local, unspecified, multicast) without the
// local-network setting.
var ErrForbiddenAddress = errors.New("address not allowed")

// FetchPolicy is how the agents fetch models and datasets named on chain:
// any account can name any URI, so the fetch is bounded in time and size and
// reaches only public http(s) hosts unless the agent runs on a local network.
type FetchPolicy struct {
	// AllowLocal lets fetches reach loopback and private addresses and read
	// file:// URIs (local networks and tests only).
	AllowLocal bool
	// DialTimeout bounds each connection (default 5 s), HeaderTimeout the
	// wait for a response's headers once the request is sent (default 15 s),
	// Timeout a whole fetch (default 2 min).
	DialTimeout, HeaderTimeout, Timeout time.Duration
	// MinRate is the slowest transfer a fetch accepts, in bytes per second
	// (default 64 KiB/s), measured over each RateWindow of the body (default
	// 10 s): a server that trickles, or sends a burst and then stalls, is cut
	// off with ErrTooSlow after one window instead of holding the fetch, and
	// whatever waits on it, for the whole Timeout.
	MinRate    int64
	RateWindow time.Duration
	// FailureTTL is how long a failed fetch is not retried (default 1 min).
	FailureTTL time.Duration
}

func (p FetchPolicy) withDefaults() FetchPolicy {
	if p.DialTimeout <= 0 {
		p.DialTimeout = 5 * time.Second
	}
	if p.HeaderTimeout <= 0 {
		p.HeaderTimeout = 15 * time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = 2 * time.Minute
	}
	if p.MinRate <= 0 {
		p.MinRate = 64 << 10
	}
	if p.RateWindow <= 0 {
		p.RateWindow = 10 * time.Second
	}
	if p.FailureTTL <= 0 {
		p.FailureTTL = time.Minute
	}
	return p
}

// publicAddr reports whether ip is an address agents may reach by default.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() &&
		!ip.IsLinkLocalMulticast() && !ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() && !ip.IsUnspecified() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(ip) // carrier-grade NAT
}

// HTTPClient returns a client that follows the policy: every connection's
// resolved address is checked when it is dialled (so a name that resolves
// to a private address, or is re-bound to one, is refused), redirects are
// limited to 3 and must stay http(s), headers must come within
// HeaderTimeout and the body at MinRate or faster.
func (p FetchPolicy) HTTPClient() *http.Client {
	p = p.withDefaults()
	dialer := &net.Dialer{Timeout: p.DialTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		if p.AllowLocal {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrForbiddenAddress, address, err)
		}
		if !publicAddr(ap.Addr()) {
			return fmt.Errorf("%w: %s is not a public address (start with the local-network setting to allow it)", ErrForbiddenAddress, ap.Addr())
		}
		return nil
	}}
	tr := &http.Transport{
		Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: p.DialTimeout,
		ResponseHeaderTimeout: p.HeaderTimeout, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second,
	}
	rt := rateTransport{base: tr, need: int64(float64(p.MinRate) * p.RateWindow.Seconds()), window: p.RateWindow}
	return &http.Client{Transport: rt, Timeout: p.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("more than 3 redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("%w: redirect to %s", ErrUnsupported, req.URL.Scheme)
		}
		return nil
	}}
}

// failures remembers failed fetches for a while, so that a URI that fails
// is not fetched again on every job or poll. It holds at most 1024 entries.
type failures struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]failure
}

type failure struct {
	err   error
	until time.Time
}

// ErrRecentFailure wraps the cached error of a fetch that failed recently.
var ErrRecentFailure = errors.New("failed recently; not retried yet")

func (f *failures) check(key string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.m[key]; ok {
		if now.Before(e.until) {
			return fmt.Errorf("%w (until %s): %w", ErrRecentFailure, e.until.Format(time.TimeOnly), e.err)
		}
		delete(f.m, key)
	}
	return nil
}

func (f *failures) record(key string, err error, now time.Time) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]failure{}
	}
	if len(f.m) >= 1024 {
		for k, e := range f.m {
			if now.After(e.until) || len(f.m) >= 1024 {
				delete(f.m, k)
			}
		}
	}
	f.m[key] = failure{err: err, until: now.Add(f.ttl)}
}
