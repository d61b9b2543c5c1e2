package jobexec

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aichain/aichain/workload"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "192.168.0.1": false, "172.16.5.5": false,
		"169.254.169.254": false, "0.0.0.0": false, "100.64.0.1": false, "fe80::1": false, "::ffff:127.0.0.1": false,
	} {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v", addr, got)
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
		if !errors.Is(err, ErrForbiddenAddress) && !errors.Is(err, ErrUnsupported) {
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
