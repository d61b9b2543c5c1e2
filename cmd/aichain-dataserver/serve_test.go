package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// A plain-HTTP listener off loopback is refused unless TLS is configured or
// --allow-plain-http says a TLS proxy is in front.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	for _, c := range []struct {
		cfg config
		ok  bool
	}{
		{config{listen: "127.0.0.1:8090"}, true},
		{config{listen: "[::1]:8090"}, true},
		{config{listen: "localhost:8090"}, true},
		{config{listen: "0.0.0.0:8090"}, false},
		{config{listen: ":8090"}, false},
		{config{listen: "10.1.2.3:8090"}, false},
		{config{listen: "0.0.0.0:8090", allowPlain: true}, true},
		{config{listen: "0.0.0.0:8090", certFile: "c.pem", keyFile: "k.pem"}, true},
	} {
		if err := c.cfg.checkListener(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
}

// The audience defaults to the listener's URL, https with TLS, and every
// --public-url is normalised; a certificate without its key is refused.
func TestAudiences(t *testing.T) {
	read := func(args ...string) (*config, error) {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		flags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return readConfig(fs)
	}
	c, err := read("--listen", "127.0.0.1:8090")
	if err != nil || len(c.server.Audiences) != 1 || c.server.Audiences[0] != "http://127.0.0.1:8090" {
		t.Fatalf("default audience: %v %v", c, err)
	}
	c, err = read("--tls-cert", "c.pem", "--tls-key", "k.pem", "--public-url", "HTTPS://Data.Example.org:443/datasets", "--public-url", "https://1.2.3.4:8443")
	if err != nil || c.server.Audiences[0] != "https://data.example.org" || c.server.Audiences[1] != "https://1.2.3.4:8443" {
		t.Fatalf("public URLs: %v %v", c.server.Audiences, err)
	}
	if _, err := read("--tls-cert", "c.pem"); err == nil {
		t.Fatal("a certificate without its key accepted")
	}
	if _, err := read("--dataset", "x=/tmp/a.npy"); err == nil {
		t.Fatal("a bad --dataset accepted")
	}
}

// The download bounds come from their flags, with the defaults the server
// documents; a bound below 1 is refused.
func TestDownloadFlags(t *testing.T) {
	read := func(args ...string) (*config, error) {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		flags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return readConfig(fs)
	}
	c, err := read()
	if err != nil || c.server.MaxDownloads != 64 || c.server.DownloadsPerAccount != 4 || c.server.StallTimeout != 30*time.Second {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = read("--max-downloads", "8", "--downloads-per-account", "2", "--stall-timeout", "5s")
	if err != nil || c.server.MaxDownloads != 8 || c.server.DownloadsPerAccount != 2 || c.server.StallTimeout != 5*time.Second {
		t.Fatalf("set: %+v %v", c, err)
	}
	for _, bad := range [][]string{{"--max-downloads", "0"}, {"--downloads-per-account", "0"}, {"--stall-timeout", "0s"}} {
		if _, err := read(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// --tree-dir names the server's tree folder; without it the server gets a
// private temporary one, removed at exit.
func TestTreeDirFlag(t *testing.T) {
	read := func(args ...string) *config {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		flags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		c, err := readConfig(fs)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	want := filepath.Join(t.TempDir(), "trees")
	c := read("--tree-dir", want)
	c.defaultTreeDir(log)()
	if c.server.TreeDir != want {
		t.Fatalf("--tree-dir %s: the server's folder is %q", want, c.server.TreeDir)
	}
	c = read()
	remove := c.defaultTreeDir(log)
	if st, err := os.Stat(c.server.TreeDir); c.server.TreeDir == "" || err != nil || !st.IsDir() {
		t.Fatalf("default tree folder %q: %v", c.server.TreeDir, err)
	}
	remove()
	if _, err := os.Stat(c.server.TreeDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("default tree folder after exit: %v, want removed", err)
	}
}
