package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/dataserver"
)

func flags(fs *pflag.FlagSet) {
	fs.String("node", "127.0.0.1:9090", "gRPC address of an aichaind node")
	fs.String("listen", "127.0.0.1:8090", "address to serve on")
	fs.StringArray("public-url", nil, "this server's public base URL, as datasets' uri name it (repeatable; default http(s)://<listen>):\nrequests signed for any other server are refused")
	fs.StringArray("owner", nil, "serve the datasets this account owns on chain (repeatable), from --data-dir")
	fs.String("data-dir", "", "folder indexed for .npy files (by sha256) at start and on SIGHUP")
	fs.StringArray("dataset", nil, "ID=PATH: serve this file as dataset ID, whoever owns it (repeatable; checked against the chain at start)")
	fs.Duration("window", 60*time.Second, "how old a signed request may be; nonces are remembered as long")
	fs.Duration("refresh", 30*time.Second, "how often the owners' listings are re-read")
	fs.String("tls-cert", "", "TLS certificate (PEM); with --tls-key, serve HTTPS")
	fs.String("tls-key", "", "TLS private key (PEM)")
	fs.Bool("allow-plain-http", false, "serve plain HTTP on a non-loopback address (behind a TLS proxy only)")
	fs.Duration("read-timeout", 30*time.Second, "longest time to read a request")
	fs.Duration("write-timeout", 30*time.Minute, "longest time to write a response (a whole file); a stalled reader is dropped sooner (--stall-timeout)")
	fs.Duration("idle-timeout", 60*time.Second, "how long an idle keep-alive connection stays open")
	fs.Int("max-trees", 64, "Merkle trees of served versions kept in memory")
	fs.String("tree-dir", "", "folder where the trees' leaves are kept (32 bytes a chunk), so that a tree evicted from memory (--max-trees)\n"+
		"or lost in a restart is read back without reading its file; made if missing (default: a private temporary folder, removed at exit)")
	fs.Int("max-downloads", 64, "downloads (files and chunks) in flight at once, in all; past it, 503 busy with Retry-After")
	fs.Int("downloads-per-account", 4, "downloads in flight at once of one account; past it, 503 busy with Retry-After")
	fs.Int("reserved-downloads", 0, "of --max-downloads, those only the assigned providers of live compute jobs and bonded validators may take (0: a quarter of --max-downloads; at most --max-downloads − 1)")
	fs.Duration("stall-timeout", 30*time.Second, "drop a download whose reader takes nothing for this long")
	fs.String("write-example", "", "write a small example dataset (64×4 float32 .npy) to this file and exit")
	fs.String("write-example-model", "", "write a small example model (mlp-f32 4→8→2, .safetensors) that fits the example dataset, and exit")
}

// config is the server's configuration from the flags.
type config struct {
	node, listen, certFile, keyFile string
	server                          dataserver.Config
	allowPlain                      bool
	readTO, writeTO, idleTO         time.Duration
}

func readConfig(fs *pflag.FlagSet) (*config, error) {
	c := &config{}
	c.node, _ = fs.GetString("node")
	c.listen, _ = fs.GetString("listen")
	c.certFile, _ = fs.GetString("tls-cert")
	c.keyFile, _ = fs.GetString("tls-key")
	c.allowPlain, _ = fs.GetBool("allow-plain-http")
	c.readTO, _ = fs.GetDuration("read-timeout")
	c.writeTO, _ = fs.GetDuration("write-timeout")
	c.server.WriteTimeout = c.writeTO
	c.idleTO, _ = fs.GetDuration("idle-timeout")
	s := &c.server
	s.Owners, _ = fs.GetStringArray("owner")
	s.DataDir, _ = fs.GetString("data-dir")
	s.Window, _ = fs.GetDuration("window")
	s.Refresh, _ = fs.GetDuration("refresh")
	s.MaxTrees, _ = fs.GetInt("max-trees")
	s.TreeDir, _ = fs.GetString("tree-dir")
	s.MaxDownloads, _ = fs.GetInt("max-downloads")
	s.DownloadsPerAccount, _ = fs.GetInt("downloads-per-account")
	s.ReservedDownloads, _ = fs.GetInt("reserved-downloads")
	s.StallTimeout, _ = fs.GetDuration("stall-timeout")
	if s.MaxDownloads < 1 || s.DownloadsPerAccount < 1 || s.StallTimeout <= 0 || s.ReservedDownloads < 0 {
		return nil, errors.New("--max-downloads and --downloads-per-account must be at least 1, --reserved-downloads at least 0, --stall-timeout positive")
	}
	if (c.certFile == "") != (c.keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	var err error
	if s.Datasets, err = parseDatasets(fs); err != nil {
		return nil, err
	}
	urls, _ := fs.GetStringArray("public-url")
	if len(urls) == 0 {
		scheme := "http"
		if c.certFile != "" {
			scheme = "https"
		}
		urls = []string{scheme + "://" + c.listen}
	}
	for _, u := range urls {
		aud, err := signedreq.Audience(u)
		if err != nil {
			return nil, fmt.Errorf("--public-url: %w", err)
		}
		s.Audiences = append(s.Audiences, aud)
	}
	return c, nil
}

func parseDatasets(fs *pflag.FlagSet) (map[uint64]string, error) {
	list, _ := fs.GetStringArray("dataset")
	out := map[uint64]string{}
	for _, d := range list {
		id, path, ok := strings.Cut(d, "=")
		n, err := strconv.ParseUint(id, 10, 64)
		if !ok || err != nil || n == 0 {
			return nil, fmt.Errorf("--dataset %q: want ID=PATH with a positive ID", d)
		}
		out[n] = path
	}
	return out, nil
}

// checkListener refuses a plain-HTTP listener on an address other than
// loopback unless --allow-plain-http: signed requests are not secret, but the
// data they fetch is.
func (c *config) checkListener() error {
	if c.certFile != "" || c.allowPlain {
		return nil
	}
	host, _, err := net.SplitHostPort(c.listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", c.listen, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("refusing plain HTTP on %s, which is not a loopback address: give --tls-cert and --tls-key, "+
		"or --allow-plain-http behind a TLS-terminating proxy", c.listen)
}

func run(ctx context.Context, fs *pflag.FlagSet, log *slog.Logger) error {
	if done, err := writeExamples(fs); done || err != nil {
		return err
	}
	c, err := readConfig(fs)
	if err != nil {
		return err
	}
	if err := c.checkListener(); err != nil {
		return err
	}
	chain, err := dataserver.DialChain(c.node)
	if err != nil {
		return err
	}
	defer chain.Close()
	c.server.Chain, c.server.Logger = chain, log
	defer c.defaultTreeDir(log)()
	srv, err := dataserver.New(c.server)
	if err != nil {
		return err
	}
	if err := load(ctx, srv, log); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	go srv.Run(ctx)
	go reloadOnHUP(ctx, srv, log)
	return c.serve(ctx, srv, log)
}

// defaultTreeDir gives the server a private temporary tree folder when
// --tree-dir is not set, and returns what removes it. One that cannot be
// made (a read-only /tmp) leaves the trees in memory only, as before the
// folder existed: a tree evicted from memory is then built again by reading
// its file.
func (c *config) defaultTreeDir(log *slog.Logger) (remove func()) {
	if c.server.TreeDir != "" {
		return func() {}
	}
	dir, err := os.MkdirTemp("", "aichain-dataserver-trees-")
	if err != nil {
		log.Warn("no tree folder (give --tree-dir): a tree evicted from memory is built again by reading its file", "err", err)
		return func() {}
	}
	c.server.TreeDir = dir
	return func() {
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("cannot remove the tree folder", "dir", dir, "err", err)
		}
	}
}

// load indexes the folder and reads the served datasets, waiting for a node
// that is not up yet (a local network starts the server beside it); a file
// that does not match the chain stops the server.
func load(ctx context.Context, srv *dataserver.Server, log *slog.Logger) error {
	for {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		err := srv.Load(lctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, dataserver.ErrChainUnavailable) {
			return fmt.Errorf("refusing to start: %w", err)
		}
		log.Warn("cannot read the chain yet; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
}

// reloadOnHUP re-indexes the folder and re-reads the listings on SIGHUP.
func reloadOnHUP(ctx context.Context, srv *dataserver.Server, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: re-indexing")
			if err := srv.Load(ctx); err != nil {
				log.Error("re-index failed; still serving the previous index", "err", err)
			}
		}
	}
}

func (c *config) serve(ctx context.Context, srv *dataserver.Server, log *slog.Logger) error {
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: c.readTO,
		WriteTimeout: c.writeTO, IdleTimeout: c.idleTO, MaxHeaderBytes: 16 << 10,
	}
	log.Info("listening", "addr", ln.Addr().String(), "tls", c.certFile != "", "audiences", c.server.Audiences,
		"owners", c.server.Owners, "data_dir", c.server.DataDir, "tree_dir", c.server.TreeDir, "explicit_datasets", len(c.server.Datasets), "node", c.node)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			log.Warn("shutdown", "err", err)
		}
	}()
	if c.certFile != "" {
		err = hs.ServeTLS(ln, c.certFile, c.keyFile)
	} else {
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
