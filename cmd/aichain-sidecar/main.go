// Command aichain-sidecar is a validator's verifier: it re-executes sampled
// chunks of compute results and serves verdicts to its own node, which puts
// them in its vote extensions. It fetches chunks from providers with
// requests signed by the validator's operator key, and, with
// --weights-listen, sends the model weights it holds to other validators'
// sidecars.
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
	fs.String("weights-listen", "", "address of the server that sends the model weights in --cache-dir to other validators' sidecars "+
		"(empty: off; needs --cache-dir and --weights-url)")
	fs.String("weights-url", "", "public base URL of --weights-listen, which the validator registers on chain: "+
		"aichaind tx compute set-verifier-endpoint URL --from <operator key>")
	fs.Duration("peer-transfer-timeout", 0, "longest transfer of model weights from another validator's sidecar "+
		"(0: 10s and --max-fetch-bytes at 16 MiB/s)")
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
	weights, err := weightsServer(ctx, fs, cfg, client, signer.Address(), metrics, log)
	if err != nil {
		return err
	}
	if weights != nil {
		defer weights.Close()
	}
	v := sidecar.New(cfg, sidecar.NodeSource{Query: computetypes.NewQueryClient(client.Conn)}, backend, log, metrics)
	return serve(ctx, fs, v, metrics, backend, log, signer.Address())
}

// weightsServer starts reading the peers (the other bonded validators'
// registered sidecars) into cfg.Peers and, with --weights-listen, the
// server that sends this sidecar's cached weights to them (nil without).
func weightsServer(ctx context.Context, fs *pflag.FlagSet, cfg sidecar.Config, client *chainclient.Client, self string,
	metrics *sidecar.Metrics, log *slog.Logger) (*http.Server, error) {
	listen, _ := fs.GetString("weights-listen")
	url, _ := fs.GetString("weights-url")
	cacheDir, _ := fs.GetString("cache-dir")
	var ws *sidecar.WeightsServer
	var hs *http.Server
	if listen != "" {
		if url == "" || cacheDir == "" {
			return nil, errors.New("--weights-listen needs --weights-url (the URL registered on chain) and --cache-dir (the weights it sends)")
		}
		var err error
		if ws, err = sidecar.NewWeightsServer(url, "aic", cfg.MLP.(*jobexec.ChainResolver).OpenCachedWeights, log, metrics); err != nil {
			return nil, fmt.Errorf("--weights-url: %w", err)
		}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return nil, err
		}
		// No WriteTimeout: a transfer runs while its reader keeps taking
		// (jobexec.ServeWeightsFile).
		hs = &http.Server{Handler: ws.Handler(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("weights server stopped", "err", err)
			}
		}()
		log.Info("sending cached model weights to other validators' sidecars", "listen", ln.Addr().String(), "url", url)
	}
	go sidecar.RefreshPeers(ctx, sidecar.ChainPeers(client.Conn, "aic"), self, ws, cfg.Peers, 30*time.Second, log)
	return hs, nil
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
	cfg := sidecar.Config{Signer: signer, Fetch: download, MaxWeightsBytes: maxBytes, Peers: &sidecar.PeerSet{}}
	cfg.PeerTransferTimeout, _ = fs.GetDuration("peer-transfer-timeout")
	cfg.PollInterval, _ = fs.GetDuration("poll")
	cfg.PollTimeout, _ = fs.GetDuration("poll-timeout")
	cfg.Workers, _ = fs.GetInt("workers")
	cfg.FetchTimeout, _ = fs.GetDuration("fetch-timeout")
	cfg.FetchRetries, _ = fs.GetInt("fetch-retries")
	cfg.MaxRetryAfter, _ = fs.GetDuration("max-retry-after")
	probes, _ := fs.GetStringSlice("probe-url")
	cfg.Connectivity = sidecar.ProbeConnectivity(cfg.Fetch.HTTPClient(), probes, cfg.FetchTimeout)
	// Model loads are keyed by the weights file its record names
	// (sidecar/loadkey.go).
	models := modelregistrytypes.NewQueryClient(client.Conn)
	cfg.Models = models
	// mlp-f32: public model weights by uri, dataset records from the node;
	// the provider serves the dataset rows with their proofs.
	cfg.MLP = jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models: models, Datasets: datamarkettypes.NewQueryClient(client.Conn),
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
