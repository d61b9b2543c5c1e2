// Command aichain-sidecar is a validator's verifier: it re-executes sampled
// chunks of compute results and serves verdicts to its own node, which puts
// them in its vote extensions.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/aichain/aichain/accel"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/sidecar"
	sidecartypes "github.com/aichain/aichain/sidecar/types"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "aichain-sidecar:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("aichain-sidecar", flag.ContinueOnError)
	var (
		node        = fs.String("node", "127.0.0.1:9090", "gRPC address of this validator's aichaind node")
		listen      = fs.String("listen", "127.0.0.1:9191", "gRPC address the node calls (app.toml [verifier] address)")
		metricsAddr = fs.String("metrics", "127.0.0.1:9192", "address of the Prometheus /metrics endpoint (empty: off)")
		backendName = fs.String("backend", "auto", "execution backend: auto | cpu | cuda")
		workers     = fs.Int("workers", 2, "jobs verified at once")
		poll        = fs.Duration("poll", time.Second, "how often to read pending verifications")
		fetchTO     = fs.Duration("fetch-timeout", 5*time.Second, "timeout of one chunk request to a provider")
		retries     = fs.Int("fetch-retries", 3, "attempts per chunk before the verdict is UNAVAILABLE")
		logLevel    = fs.String("log-level", "info", "debug | info | warn | error")
		cacheDir    = fs.String("cache-dir", "", "where fetched model weights are cached (empty: memory only)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	backend, err := accel.Open(*backendName, accel.WithLogf(func(f string, a ...any) { logger.Info(fmt.Sprintf(f, a...)) }))
	if err != nil {
		return err
	}
	defer accel.Close(backend)

	conn, err := grpc.NewClient(*node, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()

	metrics := sidecar.NewMetrics(backend.Name())
	v := sidecar.New(sidecar.Config{
		PollInterval: *poll, Workers: *workers, FetchTimeout: *fetchTO, FetchRetries: *retries,
		// mlp-f32: public model weights by uri, dataset records from the node;
		// no signing key, so no dataset downloads (the provider serves the rows).
		MLP: jobexec.NewChainResolver(jobexec.ResolverConfig{
			Models:   modelregistrytypes.NewQueryClient(conn),
			Datasets: datamarkettypes.NewQueryClient(conn),
			CacheDir: *cacheDir,
		}),
	}, sidecar.NodeSource{Query: computetypes.NewQueryClient(conn)}, backend, logger, metrics)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	gs := grpc.NewServer()
	sidecartypes.RegisterVerifierServer(gs, sidecar.NewServer(v))
	go func() {
		if err := gs.Serve(ln); err != nil {
			logger.Error("gRPC server stopped", "err", err)
		}
	}()
	var ms *http.Server
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
		ms = &http.Server{Addr: *metricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := ms.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("metrics server stopped", "err", err)
			}
		}()
	}
	logger.Info("sidecar started", "node", *node, "listen", ln.Addr().String(), "backend", backend.Name())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	v.Run(ctx)
	gs.GracefulStop()
	if ms != nil {
		_ = ms.Close()
	}
	return nil
}
