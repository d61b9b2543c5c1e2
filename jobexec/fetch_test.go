package jobexec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "192.168.0.1": false, "172.16.5.5": false,
		"169.254.169.254": false, "0.0.0.0": false, "100.64.0.1": false, "fe80::1": false, "::ffff:127.0.0.1": false,
		"0.1.2.3": false, "192.0.0.8": false, "198.18.0.1": false, "240.0.0.1": false, "255.255.255.255": false,
		"fc00::1": false, "::a00:1": false, "2001:db8::1": false,
		// NAT64 and 6to4 of public addresses are public.
		"64:ff9b::808:808": true, "2002:808:808::1": true,
	} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v", addr, got)
		}
	}
}

// TestAttackEmbeddedPrivateIPv4IsNotPublic: IPv6 addresses that embed a
// private or loopback IPv4 address reach it through a translator on the
// path: NAT64 (64:ff9b::/96, RFC 6052, and the local-use 64:ff9b:1::/48;
// an IPv6-only cloud subnet's NAT gateway translates them to IPv4 addresses
// of its network), 6to4 (2002::/16) and Teredo (2001::/32). A model uri or a
// provider endpoint whose name resolves to one of these reached the agent's
// private network; they are judged by the IPv4 address they embed.
func TestAttackEmbeddedPrivateIPv4IsNotPublic(t *testing.T) {
	for _, addr := range []string{
		"64:ff9b::a9fe:a9fe",                   // 169.254.169.254
		"64:ff9b::a00:1",                       // 10.0.0.1
		"64:ff9b::7f00:1",                      // 127.0.0.1
		"64:ff9b:1::a00:1",                     // local-use NAT64 prefix
		"2002:a00:1::1",                        // 6to4 of 10.0.0.1
		"2002:a9fe:a9fe::1",                    // 6to4 of 169.254.169.254
		"2001:0:4136:e378:8000:63bf:f5ff:fffe", // Teredo of 10.0.0.1
	} {
		if publicAddr(netip.MustParseAddr(addr)) {
			t.Errorf("publicAddr(%s) = true: it embeds a non-public IPv4 address", addr)
		}
	}
}

// A model whose uri points at the agent's own network (a cloud metadata
// service, a loopback admin port) or at a local file is not fetched unless
// the agent runs on a local network; a failed fetch is not retried at once.
func TestAttackModelURIReachesNoLocalAddress(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.safetensors")
	if err := os.WriteFile(path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex([]byte("secret"))
	ctx := context.Background()
	for _, uri := range []string{srv.URL + "/m.safetensors", "file://" + path} {
		r := NewChainResolver(ResolverConfig{Models: fakeModels{model: modelregistrytypes.Model{Id: 1, Sha256: sha, Uri: uri, InputDim: 1, OutputDim: 1}}})
		_, err := r.Model(ctx, 1)
		if !errors.Is(err, ErrForbiddenAddress) && !errors.Is(err, ErrURIScheme) {
			t.Fatalf("%s: %v", uri, err)
		}
		if _, err := r.Model(ctx, 1); !errors.Is(err, ErrRecentFailure) {
			t.Fatalf("%s: second fetch: %v", uri, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the loopback server was reached %d times", hits.Load())
	}
}

// A hostile model or dataset owner answers a fetch and then trickles its
// body (or sends a burst and stalls, or never sends its headers), to hold
// the agent that fetches for the whole fetch timeout: a provider's won
// jobs, or a validator's verification, wait behind it. The fetch is cut off
// after one window below the minimum rate (ErrTooSlow) or the header
// timeout; a steady honest transfer of the same size passes.
func TestAttackTricklingServerIsCutOff(t *testing.T) {
	body := bytes.Repeat([]byte{7}, 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := w.(http.Flusher)
		send := func(b []byte, gap time.Duration) {
			for len(b) > 0 {
				n := min(len(b), 4<<10)
				if r.URL.Path == "/trickle" {
					n = 1
				}
				if _, err := w.Write(b[:n]); err != nil {
					return
				}
				f.Flush()
				b = b[n:]
				select {
				case <-r.Context().Done():
					return
				case <-time.After(gap):
				}
			}
		}
		switch r.URL.Path {
		case "/headers":
			<-r.Context().Done()
			return
		case "/burst":
			w.WriteHeader(http.StatusOK)
			send(body[:8<<10], 0)
			<-r.Context().Done()
		case "/trickle":
			w.WriteHeader(http.StatusOK)
			send(body, 20*time.Millisecond)
		default:
			w.WriteHeader(http.StatusOK)
			send(body, 5*time.Millisecond) // 4 KiB every 5 ms
		}
	}))
	defer srv.Close()
	// 16 KiB/s over 250 ms windows: 4 KiB a window.
	p := FetchPolicy{AllowLocal: true, HeaderTimeout: 300 * time.Millisecond, Timeout: 20 * time.Second,
		MinRate: 16 << 10, RateWindow: 250 * time.Millisecond}
	client := p.HTTPClient()
	get := func(path string) ([]byte, error) {
		res, err := client.Get(srv.URL + path)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		return io.ReadAll(res.Body)
	}
	for _, path := range []string{"/trickle", "/burst", "/headers"} {
		start := time.Now()
		_, err := get(path)
		took := time.Since(start)
		var ne net.Error
		switch {
		case path == "/headers" && !(errors.As(err, &ne) && ne.Timeout()):
			t.Fatalf("%s: want a header timeout, got %v", path, err)
		case path != "/headers" && !errors.Is(err, ErrTooSlow):
			t.Fatalf("%s: want ErrTooSlow, got %v", path, err)
		case took > 5*time.Second:
			t.Fatalf("%s: cut off after %v, not within a few windows", path, took)
		}
	}
	got, err := get("/steady")
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("a steady transfer: %d bytes, %v", len(got), err)
	}

	// Through the resolver: the slow server's error is typed and remembered.
	r := NewChainResolver(ResolverConfig{Fetch: p, Models: fakeModels{model: modelregistrytypes.Model{
		Id: 1, Sha256: workload.SHA256Hex(body), Uri: srv.URL + "/trickle", InputDim: 1, OutputDim: 1}}})
	if _, err := r.Model(context.Background(), 1); !errors.Is(err, ErrTooSlow) {
		t.Fatalf("resolver: %v", err)
	}
	if _, err := r.Model(context.Background(), 1); !errors.Is(err, ErrRecentFailure) || !errors.Is(err, ErrTooSlow) {
		t.Fatalf("resolver, again: %v", err)
	}
}

// A provider keeps the weights it ran a job with and serves them to
// validators from its cache (CachedWeights); a name that is not a sha256
// never becomes a path. A verifier whose fetch from the uri fails asks the
// mirror in its context; the mirror's bytes must have the on-chain sha256.
func TestCachedWeightsAndMirror(t *testing.T) {
	model := &workload.Model{Layers: []workload.Layer{{In: 2, Out: 1, Weight: []float32{1, -1}}}}
	file, err := workload.EncodeSafetensors(model)
	if err != nil {
		t.Fatal(err)
	}
	sha := workload.SHA256Hex(file)
	up := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !up {
			http.NotFound(w, nil)
			return
		}
		_, _ = w.Write(file)
	}))
	defer srv.Close()
	rec := modelregistrytypes.Model{Id: 1, Sha256: sha, Uri: srv.URL + "/m.safetensors", InputDim: 2, OutputDim: 1}
	ctx := context.Background()
	prov := NewChainResolver(ResolverConfig{Models: fakeModels{model: rec}, CacheDir: t.TempDir(), Fetch: FetchPolicy{AllowLocal: true}})
	if _, err := prov.Model(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // hashed the first time, remembered the second
		f, err := prov.OpenCachedWeights(strings.ToUpper(sha))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil || !bytes.Equal(got, file) {
			t.Fatalf("cached weights: %d bytes, %v", len(got), err)
		}
	}
	for _, bad := range []string{"../" + sha[3:], strings.Repeat("z", 64), sha[:62]} {
		if _, err := prov.OpenCachedWeights(bad); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("OpenCachedWeights(%q): %v", bad, err)
		}
	}
	// A cached file changed on disk (another size or time) is hashed again
	// and, no longer matching its name, not served.
	path := filepath.Join(prov.cfg.CacheDir, "models", sha+".safetensors")
	if err := os.WriteFile(path, append(file, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := prov.OpenCachedWeights(sha); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("changed weights file: %v, want os.ErrNotExist", err)
	}

	up = false // the model's owner takes the weights down
	for _, c := range []struct {
		what   string
		mirror WeightsMirror
		ok     bool
	}{
		{"no mirror", nil, false},
		{"the mirror serves them", func(context.Context, string) (workload.Checked, error) { return workload.CheckFile(file, sha) }, true},
		{"the mirror serves other bytes", func(context.Context, string) (workload.Checked, error) {
			other := append([]byte{0}, file...)
			return workload.CheckFile(other, workload.SHA256Hex(other))
		}, false},
		{"the mirror fails", func(context.Context, string) (workload.Checked, error) { return workload.Checked{}, errors.New("404") }, false},
		{"the mirror answers nothing, and no error", func(context.Context, string) (workload.Checked, error) { return workload.Checked{}, nil }, false},
	} {
		verifier := NewChainResolver(ResolverConfig{Models: fakeModels{model: rec}, Fetch: FetchPolicy{AllowLocal: true}})
		vctx := ctx
		if c.mirror != nil {
			vctx = WithWeightsMirror(ctx, c.mirror)
		}
		_, err := verifier.Model(vctx, 1)
		switch {
		case c.ok && err != nil:
			t.Fatalf("%s: %v", c.what, err)
		case !c.ok && err == nil:
			t.Fatalf("%s: weights accepted", c.what)
		case !c.ok && (c.mirror != nil) != errors.Is(err, ErrWeightsUnavailable):
			t.Fatalf("%s: %v (ErrWeightsUnavailable only when a mirror was asked)", c.what, err)
		}
	}
}
