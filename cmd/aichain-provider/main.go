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

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("aichain-provider", flag.ContinueOnError)
	var (
		node         = fs.String("node", "127.0.0.1:9090", "gRPC address of an aichaind node")
		chainID      = fs.String("chain-id", "aichain-local-1", "chain-id")
		home         = fs.String("home", os.ExpandEnv("$HOME/.aichain"), "directory of the keyring that holds --from")
		backendKR    = fs.String("keyring-backend", "test", "keyring backend: test | file | os")
		from         = fs.String("from", "provider", "key name of the provider account")
		dataDir      = fs.String("data-dir", os.ExpandEnv("$HOME/.aichain-provider"), "where chunks and the agent's state live")
		listen       = fs.String("listen", "127.0.0.1:8081", "address of the chunk server")
		endpoint     = fs.String("endpoint", "", "public URL of the chunk server (default http://<listen>)")
		backendName  = fs.String("backend", "auto", "execution backend: auto | cpu | cuda")
		moniker      = fs.String("moniker", "aichain-provider", "provider name shown on chain")
		bond         = fs.String("bond", "100000000uaic", "bond to register with")
		register     = fs.Bool("register", true, "register as a provider if not yet registered")
		perGFLOP     = fs.String("price-per-gflop", "10", "gemm jobs: bid price per GFLOP of work, in the floor's denom")
		perKRows     = fs.String("price-per-1k-rows", "10", "mlp jobs: bid price per 1000 dataset rows, in the floor's denom")
		floor        = fs.String("min-price", "1000uaic", "lowest bid")
		gasPrices    = fs.String("gas-prices", "0uaic", "gas prices for the agent's transactions")
		poll         = fs.Duration("poll", time.Second, "how often to look for work")
		corruptChunk = fs.Int("fault-corrupt-chunk", -1, "TEST NETWORKS ONLY: corrupt this output chunk of every job (-1: never)")
		logLevel     = fs.String("log-level", "info", "debug | info | warn | error")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	bondCoin, err := sdk.ParseCoinNormalized(*bond)
	if err != nil {
		return fmt.Errorf("--bond: %w", err)
	}
	floorCoin, err := sdk.ParseCoinNormalized(*floor)
	if err != nil {
		return fmt.Errorf("--min-price: %w", err)
	}
	per, err := sdkmath.LegacyNewDecFromStr(*perGFLOP)
	if err != nil || per.IsNegative() {
		return fmt.Errorf("--price-per-gflop %q must be a non-negative decimal", *perGFLOP)
	}
	perRows, err := sdkmath.LegacyNewDecFromStr(*perKRows)
	if err != nil || perRows.IsNegative() {
		return fmt.Errorf("--price-per-1k-rows %q must be a non-negative decimal", *perKRows)
	}
	if *endpoint == "" {
		*endpoint = "http://" + *listen
	}

	backend, err := accel.Open(*backendName, accel.WithLogf(func(f string, a ...any) { logger.Info(fmt.Sprintf(f, a...)) }))
	if err != nil {
		return err
	}
	defer accel.Close(backend)

	client, err := chainclient.New(chainclient.Config{
		GRPCAddr: *node, ChainID: *chainID, KeyringDir: *home, KeyringBackend: *backendKR, From: *from, GasPrices: *gasPrices,
	})
	if err != nil {
		return err
	}
	defer client.Close()

	state, err := provider.LoadState(filepath.Join(*dataDir, "state.json"))
	if err != nil {
		return err
	}
	kr, keyName := client.Keyring(), client.KeyName()
	resolver := jobexec.NewChainResolver(jobexec.ResolverConfig{
		Models:   modelregistrytypes.NewQueryClient(client.Conn),
		Datasets: datamarkettypes.NewQueryClient(client.Conn),
		Address:  client.Address().String(),
		Sign: func(msg []byte) ([]byte, error) {
			sig, _, err := kr.Sign(keyName, msg, signing.SignMode_SIGN_MODE_DIRECT)
			return sig, err
		},
		CacheDir: filepath.Join(*dataDir, "cache"),
	})
	// The agent advertises the kinds of the jobexec table it can run.
	hw := computetypes.Hardware{GpuModel: "cpu", GpuCount: 0}
	if backend.Name() == accel.CUDA {
		hw.GpuModel, hw.GpuCount = deviceName(backend), 1
	}
	fault := provider.Fault{CorruptChunk: *corruptChunk}
	if fault.CorruptChunk >= 0 {
		logger.Warn("FAULT MODE ON: this agent commits corrupted results; use on test networks only", "chunk", fault.CorruptChunk)
	}
	metrics := provider.NewMetrics()
	agent := provider.NewAgent(provider.Config{
		Moniker: *moniker, Endpoint: *endpoint, Bond: bondCoin, Register: *register,
		Pricing:      provider.Pricing{PerGFLOP: per, PerKRows: perRows, Floor: floorCoin},
		PollInterval: *poll, Hardware: hw, Fault: fault, MLP: resolver,
	}, client, backend, state, provider.NewChunkStore(*dataDir), logger, metrics)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: agent.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("chunk server stopped", "err", err)
		}
	}()
	logger.Info("chunk server listening", "addr", ln.Addr().String(), "endpoint", *endpoint)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = agent.Run(ctx)
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	return err
}

func deviceName(b workload.Backend) string {
	if d, ok := b.(interface{ Device() string }); ok {
		return strings.TrimSpace(d.Device())
	}
	return "cuda"
}
