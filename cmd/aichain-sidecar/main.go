// Command aichain-sidecar is a validator's verifier: it re-executes sampled
// chunks of compute results and serves verdicts to its own node, which puts
// them in its vote extensions. It fetches chunks from providers with
// requests signed by the validator's operator key.
//
//	aichain-sidecar init     # a commented config file with every default
//	aichain-sidecar --node 127.0.0.1:9090 --home ~/.aichain --from validator
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"

	"github.com/aichain/aichain/accel"
	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/cmd/internal/agentcli"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/sidecar"
	sidecartypes "github.com/aichain/aichain/sidecar/types"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

func main() {
	app := agentcli.App{
		Name:  "aichain-sidecar",
		Short: "aichain validator's verifier sidecar",
		Long: "aichain-sidecar reads the jobs under verification from its validator's node, fetches each sampled chunk\n" +
			"from the job's provider (signed with the validator's operator key, which providers serve), checks its\n" +
			"proof against the on-chain root, recomputes it, and keeps a verdict ready for the node's vote extension.",
		Flags: flags,
		Run:   run,
	}
	if err := app.Command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "aichain-sidecar:", err)
		os.Exit(1)
	}
}

func flags(fs *pflag.FlagSet) {
	home, _ := os.UserHomeDir()
	fs.String("node", "127.0.0.1:9090", "gRPC address of this validator's aichaind node")
	fs.String("listen", "127.0.0.1:9191", "gRPC address the node calls (app.toml [verifier] address)")
	fs.String("metrics", "127.0.0.1:9192", "address of the Prometheus /metrics endpoint (empty: off)")
	fs.String("home", home+"/.aichain", "directory of the keyring that holds --from")
	fs.String("keyring-backend", "test", "keyring backend: test | file | os")
	fs.String("from", "", "key name of the validator's operator account: chunk requests are signed with it (required)")
	fs.String("backend", "auto", "execution backend: auto | cpu | cuda")
	fs.Int("workers", 2, "jobs verified at once")
	fs.Duration("poll", time.Second, "how often to read pending verifications")
	fs.Duration("poll-timeout", 0, "longest wait for the node to list the pending verifications; a poll past it queues the pages read, is logged and tried again (0: ten --poll intervals, at least 5s)")
	fs.Duration("fetch-timeout", 5*time.Second, "timeout of one chunk request to a provider")
	fs.Int("fetch-retries", 3, "attempts per chunk at each poll")
	fs.Duration("max-retry-after", 30*time.Second, "longest wait before the next attempt that a busy server (503 or 429) asks for with Retry-After")
	fs.Duration("unavailable-after", 0, "deprecated, ignored: a provider is UNAVAILABLE after failing across the chain's unavailable_span_blocks")
	_ = fs.MarkDeprecated("unavailable-after", "the span is the chain's unavailable_span_blocks")
	fs.StringSlice("probe-url", nil, "URLs the sidecar checks its own network with before it counts a failed fetch against a provider "+
		"(any answer passes; none answer: it abstains); empty: no check")
	fs.String("cache-dir", "", "where fetched model weights are cached (empty: memory only)")
	fs.Int64("cache-max-bytes", jobexec.DefaultCacheBytes, "disk the --cache-dir may take, least recently used out first")
	fs.Int64("max-fetch-bytes", 1<<30, "largest model file fetched (the provider agent parses up to 1 GiB: a smaller limit abstains on larger models)")
	fs.Bool("local-network", false, "a local test network: reach providers and models on loopback, private or file:// addresses")
	agentcli.DownloadFlags(fs)
}

func run(ctx context.Context, fs *pflag.FlagSet, log *slog.Logger) error {
	get := func(n string) string { v, _ := fs.GetString(n); return v }
	if get("from") == "" {
		return errors.New("--from is required: the validator's operator key, whose signature providers accept")
	}
	backend, err := accel.Open(get("backend"), accel.WithLogf(func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }))
	if err != nil {
		return err
	}
	defer accel.Close(backend)
	client, err := chainclient.New(chainclient.Config{GRPCAddr: get("node"), KeyringDir: get("home"),
		KeyringBackend: get("keyring-backend"), From: get("from")})
	if err != nil {
		return err
	}
	defer client.Close()
	signer, err := signedreq.KeyringSigner(client.Keyring(), client.KeyName(), "aic")
	if err != nil {
		return err
	}
	cfg, err := verifierConfig(fs, client, signer)
	if err != nil {
		return err
	}
	metrics := sidecar.NewMetrics(backend.Name())
	v := sidecar.New(cfg, sidecar.NodeSource{Query: computetypes.NewQueryClient(client.Conn)}, backend, log, metrics)
	return serve(ctx, fs, v, metrics, backend, log, signer.Address())
}

func verifierConfig(fs *pflag.FlagSet, client *chainclient.Client, signer signedreq.Signer) (sidecar.Config, error) {
	local, _ := fs.GetBool("local-network")
	maxBytes, _ := fs.GetInt64("max-fetch-bytes")
	cacheDir, _ := fs.GetString("cache-dir")
	cacheBytes, _ := fs.GetInt64("cache-max-bytes")
	download, err := agentcli.DownloadPolicy(fs, local)
	if err != nil {
		return sidecar.Config{}, err
	}
	cfg := sidecar.Config{Signer: signer, Fetch: download, MaxWeightsBytes: maxBytes}
	cfg.PollInterval, _ = fs.GetDuration("poll")
	cfg.PollTimeout, _ = fs.GetDuration("poll-timeout")
	cfg.Workers, _ = fs.GetInt("workers")
	cfg.FetchTimeout, _ = fs.GetDuration("fetch-timeout")
	cfg.FetchRetries, _ = fs.GetInt("fetch-retries")
	cfg.MaxRetryAfter, _ = fs.GetDuration("max-retry-after")
	probes, _ := fs.GetStringSlice("probe-url")
	cfg.Connectivity = sidecar.ProbeConnectivity(cfg.Fetch.HTTPClient(), probes, cfg.FetchTimeout)
	// mlp-f32: public model weights by uri, dataset records from the node;
	// the provider serves the dataset rows with their proofs.
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: modelregistrytypes.NewQueryClient(client.Conn), Datasets: datamarkettypes.NewQueryClient(client.Conn),
		CacheDir: cacheDir, CacheBytes: cacheBytes, Fetch: cfg.Fetch, Limits: workload.Limits{MaxFileBytes: maxBytes},
	})
	return cfg, nil
}

func serve(ctx context.Context, fs *pflag.FlagSet, v *sidecar.Verifier, metrics *sidecar.Metrics, backend workload.Backend, log *slog.Logger, signer string) error {
	listen, _ := fs.GetString("listen")
	metricsAddr, _ := fs.GetString("metrics")
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	gs := grpc.NewServer()
	sidecartypes.RegisterVerifierServer(gs, sidecar.NewServer(v))
	go func() {
		if err := gs.Serve(ln); err != nil {
			log.Error("gRPC server stopped", "err", err)
		}
	}()
	var ms *http.Server
	if metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
		ms = &http.Server{Addr: metricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := ms.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server stopped", "err", err)
			}
		}()
	}
	log.Info("sidecar started", "listen", ln.Addr().String(), "backend", backend.Name(), "signer", signer)
	v.Run(ctx)
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		gs.Stop()
	}
	if ms != nil {
		return ms.Close()
	}
	return nil
}
