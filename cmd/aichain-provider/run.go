package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/aichain/aichain/accel"
	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/chainclient/signedreq"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/provider"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

func run(ctx context.Context, fs *pflag.FlagSet, log *slog.Logger) error {
	o, err := readOptions(fs)
	if err != nil {
		return err
	}
	if err := o.checkListener(); err != nil {
		return err
	}
	backend, err := accel.Open(o.backend, accel.WithLogf(func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }))
	if err != nil {
		return err
	}
	defer accel.Close(backend)
	client, err := o.connect(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	store, err := provider.OpenStore(filepath.Join(o.dataDir, "state.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	cfg, err := o.finish(client, backend, log)
	if err != nil {
		return err
	}
	agent := provider.NewAgent(cfg, client, backend, store, provider.NewChunkStore(o.dataDir, provider.TreeMemoryBytes(cfg.MaxMemoryBytes)), log, provider.NewMetrics())
	stop, err := o.serve(agent, log)
	if err != nil {
		return err
	}
	err = agent.Run(ctx)
	stop()
	return err
}

// connect opens the chain client and sets its gas price: the flag's, or
// the node's minimum, or what `aichaind init` writes. A price over
// --max-gas-price, the flag's or the node's, stops the agent here: the
// client would refuse every tx at it (chainclient ErrFeeOverLimit).
func (o *options) connect(ctx context.Context) (*chainclient.Client, error) {
	client, err := chainclient.New(chainclient.Config{
		GRPCAddr: o.node, ChainID: o.chainID, KeyringDir: o.home, KeyringBackend: o.keyringBackend, From: o.from, GasPrices: o.gasPrices,
		MaxGasPrices: o.maxGasPrice, MaxFee: o.maxFee,
	})
	if err != nil {
		return nil, err
	}
	if o.gasPrices == "" {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		p, err := client.NodeGasPrices(qctx)
		cancel()
		if err == nil {
			if err = client.CheckGasPrices(p); err != nil {
				err = fmt.Errorf("the node's minimum gas price: %w (raise --max-gas-price, or use another node)", err)
			}
		}
		if err != nil {
			return nil, errors.Join(err, client.Close())
		}
		client.SetGasPrices(p)
	}
	return client, nil
}

// finish completes the agent's configuration with what needs the client
// and the backend: the model and dataset source, the hardware, the workers.
func (o *options) finish(client *chainclient.Client, backend workload.Backend, log *slog.Logger) (provider.Config, error) {
	cfg := o.cfg
	signer, err := signedreq.KeyringSigner(client.Keyring(), client.KeyName(), "aic")
	if err != nil {
		return cfg, err
	}
	if cfg.MaxMemoryBytes == 0 {
		cfg.MaxMemoryBytes = provider.DefaultMemoryBytes()
	}
	models, datasets := resolverMemory(cfg.MaxMemoryBytes)
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models:   modelregistrytypes.NewQueryClient(client.Conn),
		Datasets: datamarkettypes.NewQueryClient(client.Conn),
		Signer:   signer, CacheDir: filepath.Join(o.dataDir, "cache"), CacheBytes: o.cacheBytes,
		Fetch: o.download, ModelMemoryBytes: models, DatasetMemoryBytes: datasets,
	})
	cfg.MLP, cfg.Weights = resolver, resolver.OpenCachedWeights
	cfg.DownloadRate = o.download.AvgRate // 0: the policy's default
	cfg.Hardware = computetypes.Hardware{GpuModel: "cpu", GpuCount: 0}
	cfg.Workers, cfg.Fetchers = o.workers, o.fetchers
	if backend.Name() == accel.CUDA {
		cfg.Hardware.GpuModel, cfg.Hardware.GpuCount = deviceName(backend), 1
		if cfg.Workers == 0 {
			cfg.Workers = 1
		}
	}
	cfg.Watch = chainclient.WatchConfig{RPC: o.rpc, Log: log}
	if cfg.Fault.CorruptChunk >= 0 || cfg.Fault.ChangeToken != nil {
		log.Warn("FAULT MODE ON: this agent commits corrupted results; test networks only",
			"chunk", cfg.Fault.CorruptChunk, "change_token", cfg.Fault.ChangeToken != nil)
	}
	return cfg, nil
}

// resolverMemory sizes the resolver's memory caches from the agent's memory
// budget, which counts them before any job (jobexec.ChainResolver.MemoryBytes):
// a quarter of it for parsed models and an eighth for dataset versions, at
// most the resolver's defaults (2 GiB and 1 GiB, reached from an 8 GiB
// budget, a 16 GiB host's). With the defaults on a smaller host the caches
// alone took most of the budget (3.25 GiB of a 4 GiB one), leaving the
// jobs 0.75 GiB; now they take at most 13/32 of it (with the dataset
// versions' trees served from disk, a quarter of the versions').
func resolverMemory(budget uint64) (models, datasets int64) {
	m := min(budget/4, jobexec.DefaultModelMemoryBytes)
	d := min(budget/8, jobexec.DefaultDatasetMemoryBytes)
	return int64(max(m, 1)), int64(max(d, 1))
}

// checkListener refuses a plain-HTTP chunk server on an address other than
// loopback unless --allow-plain-http (or a local network).
func (o *options) checkListener() error {
	if o.certFile != "" || o.allowPlain || o.localnet() {
		return nil
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", o.listen, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("refusing plain HTTP on %s: give --tls-cert and --tls-key, or --allow-plain-http behind a TLS proxy", o.listen)
}

// serve starts the chunk server and the metrics listener; stop shuts both
// down within a second.
func (o *options) serve(agent *provider.Agent, log *slog.Logger) (stop func(), err error) {
	var servers []*http.Server
	start := func(addr string, h http.Handler, tls bool, what string) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		s := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
		servers = append(servers, s)
		go func() {
			var err error
			if tls {
				err = s.ServeTLS(ln, o.certFile, o.keyFile)
			} else {
				err = s.Serve(ln)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error(what+" stopped", "err", err)
			}
		}()
		log.Info(what+" listening", "addr", ln.Addr().String())
		return nil
	}
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, s := range servers {
			_ = s.Shutdown(ctx)
		}
	}
	if err := start(o.listen, agent.Handler(), o.certFile != "", "chunk server"); err != nil {
		return nil, err
	}
	if o.metrics != "" {
		if err := start(o.metrics, agent.MetricsHandler(), false, "metrics"); err != nil {
			stop()
			return nil, err
		}
	}
	return stop, nil
}

func deviceName(b workload.Backend) string {
	if d, ok := b.(interface{ Device() string }); ok {
		return strings.TrimSpace(d.Device())
	}
	return "cuda"
}
