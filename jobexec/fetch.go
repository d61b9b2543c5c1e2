package jobexec

import (
	"context"
	"errors"
	"fmt"
	"github.com/aichain/aichain/dataserver"
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

// ErrBadRedirect is a server redirecting a fetch off http(s): a failed fetch
// (the server's doing), not a workload this agent cannot run.
var ErrBadRedirect = errors.New("redirect refused")

// FetchPolicy is how the agents fetch models and datasets named on chain:
// any account can name any URI, so the fetch is bounded in time and size and
// reaches only public http(s) hosts unless the agent runs on a local network.
type FetchPolicy struct {
	// AllowLocal lets fetches reach loopback and private addresses and read
	// file:// URIs (local networks and tests only).
	AllowLocal bool
	// DialTimeout bounds each connection (default 5 s), HeaderTimeout the
	// wait for a response's headers once the request is sent (default 15 s).
	DialTimeout, HeaderTimeout time.Duration
	// Timeout is how long a fetch (its redirects, headers and body) may
	// take whatever its size (default 2 min); past it the body goes on only
	// while it has averaged AvgRate (default 4 MiB/s), so that a file of n
	// bytes has Timeout + n/AvgRate: a whole-fetch timeout of 2 minutes failed
	// every honest file that takes longer (a 1 GiB dataset or weights file
	// needed 9 MB/s, at every try: TestFetchLongerThanTimeoutAtTheAverageRate),
	// and a server averaging less than AvgRate is still cut off with
	// ErrTooSlow at Timeout/(1 − its rate/AvgRate)
	// (TestAttackSlowAverageIsCutOffPastTimeout).
	Timeout time.Duration
	AvgRate int64
	// MinRate is the slowest transfer a fetch accepts, in bytes per second
	// (default 64 KiB/s), measured over each RateWindow of the body (default
	// 10 s): a server that trickles, or sends a burst and then stalls, is cut
	// off with ErrTooSlow after one window instead of holding the fetch, and
	// whatever waits on it, until Timeout.
	MinRate    int64
	RateWindow time.Duration
	// FailureTTL is how long a failed fetch is not retried (default 1 min).
	FailureTTL time.Duration
}

// FetchDefaults is the policy's defaults, as a zero FetchPolicy fetches.
func FetchDefaults() FetchPolicy { return FetchPolicy{}.withDefaults() }

// BodyTime is the longest a fetch of n bytes runs under p (its defaults
// where unset) before the average rate cuts it: Timeout, and n at AvgRate.
func (p FetchPolicy) BodyTime(n int64) time.Duration {
	p = p.withDefaults()
	return p.Timeout + time.Duration(float64(max(n, 0))/float64(p.AvgRate)*float64(time.Second))
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
	if p.AvgRate <= 0 {
		p.AvgRate = 4 << 20
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

// publicAddr reports whether ip is an address agents may reach by default:
// a public IPv4 address, or a global unicast IPv6 one (2000::/3) that is
// not a translator's door into IPv4 (whose embedded address is judged
// instead) or a range no public host uses. NAT64 (64:ff9b::/96) and 6to4
// (2002::/16) carry an IPv4 address that a translator on the path reaches:
// on an IPv6-only cloud subnet, 64:ff9b::a9fe:a9fe is the metadata service
// at 169.254.169.254 (TestAttackEmbeddedPrivateIPv4IsNotPublic).
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return false
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return publicAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return publicAddr(netip.AddrFrom4([4]byte(b[2:6])))
		case !globalUnicast6.Contains(ip):
			return false
		}
		for _, p := range notPublic6 {
			if p.Contains(ip) {
				return false
			}
		}
		return true
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range notPublic4 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var (
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	// Global unicast ranges no public host answers at: Teredo (its IPv4
	// server and client are inside), ORCHIDv2, documentation.
	notPublic6 = []netip.Prefix{
		netip.MustParsePrefix("2001::/32"),
		netip.MustParsePrefix("2001:20::/28"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("3fff::/20"),
	}
	// IPv4 ranges besides loopback, private, link-local and multicast that
	// are not public hosts: "this network", carrier-grade NAT, IETF
	// protocol assignments, documentation, benchmarking, reserved and
	// broadcast.
	notPublic4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.18.0.0/15"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("240.0.0.0/4"),
	}
)

// HTTPClient returns a client that follows the policy: every connection's
// resolved address is checked when it is dialled (so a name that resolves
// to a private address, or is re-bound to one, is refused), redirects are
// limited to 2 and must stay http(s), headers must come within
// HeaderTimeout and the body at MinRate or faster, and within Timeout or at
// AvgRate on average.
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
		// The rate checks and size limits count the wire's bytes: with the
		// transport's own gzip, a trickle of a compressed file of zeros
		// passed them at a thousand times its rate
		// (TestAttackCompressedTrickleOutrunsTheRateChecks).
		DisableCompression: true,
	}
	rt := rateTransport{base: tr, need: int64(float64(p.MinRate) * p.RateWindow.Seconds()), window: p.RateWindow,
		grace: p.Timeout, avg: p.AvgRate}
	return &http.Client{Transport: rt, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("more than 2 redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			// The server's doing, not this agent's: a failed fetch.
			return fmt.Errorf("%w: redirect to scheme %q", ErrBadRedirect, req.URL.Scheme)
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

// A busy answer (dataserver.BusyError) is remembered for its Retry-After
// only (at most the ttl): a dataset server whose look-up pools were full a
// moment is asked again when it says, not a minute later.

// ErrRecentFailure wraps the cached error of a fetch that failed recently.
var ErrRecentFailure = errors.New("failed recently; not retried yet")

type freshKey struct{}

// WithFreshFetch returns ctx under which the resolver fetches a uri even
// when a fetch of it failed recently, unless the server answered with bytes
// that are not the file (ErrContentMismatch). The memory of failures saves a
// busy agent from asking a broken server on every job and poll, but a check
// whose answer is final must see the server itself: an aborted job's input
// check (sidecar inputs.go) votes INPUTS_UNAVAILABLE, with no span, after
// its few attempts, and answered from the memory every attempt after the
// first was a no-op, so one failed request (a blip the winner could time
// for the check, or a failure another job's fetch left there) was the
// verdict (TestAttackModelBlipVotesInputsGone). A fetch under ctx still
// records its failure, and its success forgets the one recorded.
//
// A server that answered other bytes is no blip: it serves them to anyone
// asking, and asked again at every attempt of every aborted job it had each
// validator download the whole file that many times
// (TestAttackModelServerMakesEveryInputCheckRedownloadWeights). That
// failure stays remembered for the ttl, fresh or not.
func WithFreshFetch(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshKey{}, true)
}

// ErrContentMismatch marks a fetch whose server answered with bytes that
// are not the file (their sha256 is not the record's, or they run past the
// size limit): remembered for the ttl even under WithFreshFetch.
var ErrContentMismatch = errors.New("the server answered with other bytes")

// freshFetch reports whether ctx asks for the server itself (WithFreshFetch).
func freshFetch(ctx context.Context) bool {
	fresh, _ := ctx.Value(freshKey{}).(bool)
	return fresh
}

// checkCtx is check, unless ctx asks for a fresh fetch (WithFreshFetch),
// which passes every failure but a content mismatch: nil when the fetch may
// go ahead.
func (f *failures) checkCtx(ctx context.Context, key string, now time.Time) error {
	err := f.check(key, now)
	if err != nil && freshFetch(ctx) && !errors.Is(err, ErrContentMismatch) {
		return nil
	}
	return err
}

// forget drops key's recorded failure: its fetch has just succeeded.
func (f *failures) forget(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, key)
}

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
	ttl := f.ttl
	var busy *dataserver.BusyError
	if errors.As(err, &busy) { // busy, not broken: asked again when it says
		ttl = min(busy.RetryAfter, f.ttl)
	}
	f.m[key] = failure{err: err, until: now.Add(ttl)}
}
