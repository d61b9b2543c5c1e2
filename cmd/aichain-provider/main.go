// Command aichain-provider is the provider agent: it registers a GPU (or CPU)
// provider on aichain, bids on jobs, runs the ones it wins and serves their
// output chunks with Merkle proofs to the validators' verifiers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/aichain/aichain/accel"
	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/provider"
	"github.com/aichain/aichain/workload"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "aichain-provider:", err)
		os.Exit(1)
	}
}

// options are the command line's flags.
type options struct {
	node, chainID, home, keyringBackend, from string
	dataDir, listen, endpoint, backend        string
	moniker, bond, perGFLOP, perKRows, floor  string
	gasPrices, logLevel                       string
	register                                  bool
	poll                                      time.Duration
	corruptChunk                              int
	changeToken                               string
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("aichain-provider", flag.ContinueOnError)
	o := &options{}
	fs.StringVar(&o.node, "node", "127.0.0.1:9090", "gRPC address of an aichaind node")
	fs.StringVar(&o.chainID, "chain-id", "aichain-local-1", "chain-id")
	fs.StringVar(&o.home, "home", os.ExpandEnv("$HOME/.aichain"), "directory of the keyring that holds --from")
	fs.StringVar(&o.keyringBackend, "keyring-backend", "test", "keyring backend: test | file | os")
	fs.StringVar(&o.from, "from", "provider", "key name of the provider account")
	fs.StringVar(&o.dataDir, "data-dir", os.ExpandEnv("$HOME/.aichain-provider"), "where chunks and the agent's state live")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8081", "address of the chunk server")
	fs.StringVar(&o.endpoint, "endpoint", "", "public URL of the chunk server (default http://<listen>)")
	fs.StringVar(&o.backend, "backend", "auto", "execution backend: auto | cpu | cuda")
	fs.StringVar(&o.moniker, "moniker", "aichain-provider", "provider name shown on chain")
	fs.StringVar(&o.bond, "bond", "100000000uaic", "bond to register with")
	fs.BoolVar(&o.register, "register", true, "register as a provider if not yet registered")
	fs.StringVar(&o.perGFLOP, "price-per-gflop", "10", "gemm and gpt jobs: bid price per GFLOP of work (2 × the job's mul_adds), in the floor's denom")
	fs.StringVar(&o.perKRows, "price-per-1k-rows", "10", "mlp jobs: bid price per 1000 dataset rows, in the floor's denom")
	fs.StringVar(&o.floor, "min-price", "1000uaic", "lowest bid")
	fs.StringVar(&o.gasPrices, "gas-prices", "0uaic", "gas prices for the agent's transactions")
	fs.DurationVar(&o.poll, "poll", time.Second, "how often to look for work")
	fs.IntVar(&o.corruptChunk, "fault-corrupt-chunk", -1, "TEST NETWORKS ONLY: corrupt this output chunk of every job (-1: never)")
	fs.StringVar(&o.changeToken, "fault-change-token", "", "TEST NETWORKS ONLY: CHUNK:ROW — change the first generated token of that prompt of every job")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug | info | warn | error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.endpoint == "" {
		o.endpoint = "http://" + o.listen
	}
	return o, nil
}

// agentConfig is the agent's configuration from the flags, without the
// parts that need the node or the backend (MLP, Hardware).
func (o *options) agentConfig() (provider.Config, error) {
	bond, err := sdk.ParseCoinNormalized(o.bond)
	if err != nil {
		return provider.Config{}, fmt.Errorf("--bond: %w", err)
	}
	floor, err := sdk.ParseCoinNormalized(o.floor)
	if err != nil {
		return provider.Config{}, fmt.Errorf("--min-price: %w", err)
	}
	perGFLOP, err := sdkmath.LegacyNewDecFromStr(o.perGFLOP)
	if err != nil || perGFLOP.IsNegative() {
		return provider.Config{}, fmt.Errorf("--price-per-gflop %q must be a non-negative decimal", o.perGFLOP)
	}
	perKRows, err := sdkmath.LegacyNewDecFromStr(o.perKRows)
	if err != nil || perKRows.IsNegative() {
		return provider.Config{}, fmt.Errorf("--price-per-1k-rows %q must be a non-negative decimal", o.perKRows)
	}
	fault := provider.Fault{CorruptChunk: o.corruptChunk}
	if o.changeToken != "" {
		if fault.ChangeToken, err = provider.ParseTokenChange(o.changeToken); err != nil {
			return provider.Config{}, fmt.Errorf("--fault-change-token: %w", err)
		}
	}
	return provider.Config{
		Moniker: o.moniker, Endpoint: o.endpoint, Bond: bond, Register: o.register,
		Pricing:      provider.Pricing{PerGFLOP: perGFLOP, PerKRows: perKRows, Floor: floor},
		PollInterval: o.poll, Fault: fault,
	}, nil
}

func run(args []string, stderr io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := o.agentConfig()
	if err != nil {
		return err
	}
	backend, err := accel.Open(o.backend, accel.WithLogf(func(f string, a ...any) { logger.Info(fmt.Sprintf(f, a...)) }))
	if err != nil {
		return err
	}
	defer accel.Close(backend)
	client, err := chainclient.New(chainclient.Config{
		GRPCAddr: o.node, ChainID: o.chainID, KeyringDir: o.home, KeyringBackend: o.keyringBackend, From: o.from, GasPrices: o.gasPrices,
	})
	if err != nil {
		return err
	}
	defer client.Close()
	state, err := provider.LoadState(filepath.Join(o.dataDir, "state.json"))
	if err != nil {
		return err
	}
	cfg.MLP = newResolver(client, filepath.Join(o.dataDir, "cache"))
	// The agent advertises the kinds of the jobexec table it can run.
	cfg.Hardware = computetypes.Hardware{GpuModel: "cpu", GpuCount: 0}
	if backend.Name() == accel.CUDA {
		cfg.Hardware.GpuModel, cfg.Hardware.GpuCount = deviceName(backend), 1
	}
	if cfg.Fault.CorruptChunk >= 0 || cfg.Fault.ChangeToken != nil {
		logger.Warn("FAULT MODE ON: this agent commits corrupted results; use on test networks only",
			"chunk", cfg.Fault.CorruptChunk, "change_token", o.changeToken)
	}
	agent := provider.NewAgent(cfg, client, backend, state, provider.NewChunkStore(o.dataDir), logger, provider.NewMetrics())
	return serve(agent, o.listen, o.endpoint, logger)
}

// newResolver fetches models and datasets for jobs, signing dataset requests
// with the agent's key, and caches them under cacheDir.
func newResolver(client *chainclient.Client, cacheDir string) *jobexec.ChainResolver {
	kr, keyName := client.Keyring(), client.KeyName()
	return jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models:   modelregistrytypes.NewQueryClient(client.Conn),
		Datasets: datamarkettypes.NewQueryClient(client.Conn),
		Address:  client.Address().String(),
		Sign: func(msg []byte) ([]byte, error) {
			sig, _, err := kr.Sign(keyName, msg, signing.SignMode_SIGN_MODE_DIRECT)
			return sig, err
		},
		CacheDir: cacheDir,
	})
}

// serve runs the chunk server on listen and the agent until SIGINT or
// SIGTERM.
func serve(agent *provider.Agent, listen, endpoint string, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: agent.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("chunk server stopped", "err", err)
		}
	}()
	logger.Info("chunk server listening", "addr", ln.Addr().String(), "endpoint", endpoint)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = agent.Run(ctx)
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := srv.Shutdown(shutdown); serr != nil {
		logger.Warn("chunk server shutdown", "err", serr)
	}
	return err
}

func deviceName(b workload.Backend) string {
	if d, ok := b.(interface{ Device() string }); ok {
		return strings.TrimSpace(d.Device())
	}
	return "cuda"
}
