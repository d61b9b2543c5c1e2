package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aichain/aichain/chainclient"
	"github.com/aichain/aichain/cmd/internal/agentcli"
	"github.com/aichain/aichain/jobexec"
	"github.com/aichain/aichain/provider"
)

func flags(fs *pflag.FlagSet) {
	home, _ := os.UserHomeDir()
	fs.String("node", "127.0.0.1:9090", "gRPC address of an aichaind node")
	fs.String("rpc", "tcp://127.0.0.1:26657", "CometBFT RPC of the node, for the new-block websocket (empty: poll over gRPC)")
	fs.String("chain-id", "aichain-local-1", "chain-id")
	fs.String("home", home+"/.aichain", "directory of the keyring that holds --from")
	fs.String("keyring-backend", "test", "keyring backend: test | file | os")
	fs.String("from", "provider", "key name of the provider account")
	fs.String("data-dir", home+"/.aichain-provider", "where the state store and the chunks live")
	fs.String("listen", "127.0.0.1:8081", "address of the public chunk server")
	fs.String("endpoint", "", "public URL of the chunk server, registered on chain (required off a local network)")
	fs.String("metrics", "127.0.0.1:8082", "address of the Prometheus /metrics listener (empty: off); never the chunk server's")
	fs.String("tls-cert", "", "TLS certificate of the chunk server (PEM); with --tls-key, serve HTTPS")
	fs.String("tls-key", "", "TLS private key (PEM)")
	fs.Bool("allow-plain-http", false, "serve plain HTTP on a non-loopback address (behind a TLS proxy only)")
	fs.String("backend", "auto", "execution backend: auto | cpu | cuda")
	fs.Int("workers", 0, "jobs executed at once (0: 2 on the CPU, 1 a GPU)")
	fs.Int("fetchers", 0, "won jobs whose models and datasets are loaded into memory at once, ahead of the workers (their datasets downloaded to disk before, each at once), one requester's at most half (0: 2 × workers)")
	fs.Int("batch-size", 100, "most messages in one transaction")
	fs.Int("weights-slots", 8, "model weights files sent to validators at once, when a model's uri fails them (at most 64): on a slow uplink set about one per 8 MiB/s (4 on 256 Mbit/s), so that each completes a copy within a job's unavailable span")
	fs.Float64("safety", 0.5, "share of a job's execution window the agent plans to use, its queue included")
	fs.String("moniker", "aichain-provider", "provider name shown on chain")
	fs.String("bond", "", "bond to register with (empty: the chain's min_provider_bond)")
	fs.Bool("register", true, "register as a provider if not yet registered")
	fs.String("price-per-gflop", "10", "bid price per GFLOP of work (gemm and gpt: 2 × the job's mul_adds; mlp: its model's; and the time its drawn inputs and output take, as GFLOP at the measured rate), in units of the job's denom")
	fs.String("price-per-1k-rows", "10", "mlp jobs: bid price per 1000 dataset rows, in the floor's denom")
	fs.String("min-price", "1000uaic", "lowest bid in each denom the agent accepts, one coin per denom (e.g. 1000uaic,500ibc/<hash>); jobs priced in other denoms are skipped")
	fs.String("gas-prices", "", "gas prices for the agent's transactions (empty: the node's minimum, else "+chainclient.DefaultGasPrice+")")
	fs.String("max-gas-price", chainclient.DefaultMaxGasPrice, "highest gas price the agent pays, one per fee denom: a node asking more is refused")
	fs.String("max-fee", chainclient.DefaultMaxFee, "largest fee of one transaction the agent signs, one coin per fee denom")
	fs.Duration("retention", 24*time.Hour, "how long a finished job's chunks stay served after the job ends")
	fs.Uint64("max-chunk-bytes", 16<<20, "largest output chunk the agent bids on")
	fs.Uint64("max-output-bytes", 4<<30, "largest job output the agent bids on")
	fs.Int64("cache-max-bytes", jobexec.DefaultCacheBytes, "disk the cache of fetched models and datasets may take (<data-dir>/cache), least recently used out first; files of the jobs it holds stay (their weights at most half of it)")
	fs.Uint64("max-memory-bytes", 0, "memory the agent may take: its model and dataset caches (a quarter and an eighth of it, at most 2 GiB and 1 GiB, and the versions' trees),\n"+
		"its served outputs' Merkle trees (a thirty-second, at most 256 MiB, and two being rebuilt), then the jobs it holds at once\n"+
		"(a gemm's Bᵀ, or a dataset's values and a model's weights, per fetcher and worker; the file a load reads beside them per fetcher;\n"+
		"its A or an mlp's activations, its output twice and its tree per worker); 0: half the host's or its cgroup's")
	fs.Uint64("max-disk-bytes", 0, "disk the outputs of the jobs it holds may take together, from their bids until purged (--retention after they end); 0: the chunk directory's free space at start plus the outputs already in it")
	fs.Bool("local-network", false, "a local or private test network: loopback endpoints may be registered on any chain-id,\nand models and datasets may be fetched from loopback, private or file:// URIs")
	agentcli.DownloadFlags(fs)
	faultFlags(fs)
}

// options is the agent's configuration from the flags.
type options struct {
	node, rpc, chainID, home, keyringBackend, from string
	dataDir, listen, endpoint, metrics, backend    string
	certFile, keyFile, gasPrices                   string
	maxGasPrice, maxFee                            string
	allowPlain, local                              bool
	workers, fetchers                              int
	cacheBytes                                     int64
	download                                       jobexec.FetchPolicy
	cfg                                            provider.Config
}

func readOptions(fs *pflag.FlagSet) (*options, error) {
	o := &options{}
	for name, dst := range map[string]*string{
		"node": &o.node, "rpc": &o.rpc, "chain-id": &o.chainID, "home": &o.home, "keyring-backend": &o.keyringBackend,
		"from": &o.from, "data-dir": &o.dataDir, "listen": &o.listen, "endpoint": &o.endpoint, "metrics": &o.metrics,
		"backend": &o.backend, "tls-cert": &o.certFile, "tls-key": &o.keyFile, "gas-prices": &o.gasPrices,
		"max-gas-price": &o.maxGasPrice, "max-fee": &o.maxFee,
	} {
		*dst, _ = fs.GetString(name)
	}
	o.allowPlain, _ = fs.GetBool("allow-plain-http")
	o.local, _ = fs.GetBool("local-network")
	o.workers, _ = fs.GetInt("workers")
	o.fetchers, _ = fs.GetInt("fetchers")
	o.cacheBytes, _ = fs.GetInt64("cache-max-bytes")
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if err := o.checkEndpoint(); err != nil {
		return nil, err
	}
	var err error
	if o.download, err = agentcli.DownloadPolicy(fs, o.localnet()); err != nil {
		return nil, err
	}
	cfg, err := agentConfig(fs)
	if err != nil {
		return nil, err
	}
	cfg.Endpoint = o.endpoint
	o.cfg = cfg
	return o, nil
}

// localnet reports whether the chain is a local network: its chain-id says
// so (aichain-local-…), or --local-network does.
func (o *options) localnet() bool {
	return o.local || strings.HasPrefix(o.chainID, "aichain-local")
}

// checkEndpoint refuses to register a chunk server no one else can reach:
// off a local network, --endpoint is required and must not be a loopback,
// private or unspecified address.
func (o *options) checkEndpoint() error {
	if o.endpoint == "" {
		if !o.localnet() {
			return fmt.Errorf("--endpoint is required on chain %s: the public URL where validators and requesters reach this agent", o.chainID)
		}
		scheme := "http"
		if o.certFile != "" {
			scheme = "https"
		}
		o.endpoint = scheme + "://" + o.listen
	}
	u, err := url.Parse(o.endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("--endpoint %q is not an http(s) URL", o.endpoint)
	}
	if o.localnet() {
		return nil
	}
	if h := u.Hostname(); h == "localhost" || privateIP(h) {
		return fmt.Errorf("--endpoint %s is not reachable from other machines; chain %s is not a local network (--local-network)", o.endpoint, o.chainID)
	}
	return nil
}

func privateIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast())
}

// agentConfig is the agent's configuration from the flags, without the
// parts that need the node or the backend.
func agentConfig(fs *pflag.FlagSet) (provider.Config, error) {
	get := func(name string) string { v, _ := fs.GetString(name); return v }
	var bond sdk.Coin
	if b := get("bond"); b != "" {
		var err error
		if bond, err = sdk.ParseCoinNormalized(b); err != nil {
			return provider.Config{}, fmt.Errorf("--bond: %w", err)
		}
	}
	floors, err := sdk.ParseCoinsNormalized(get("min-price"))
	if err != nil || len(floors) == 0 {
		return provider.Config{}, fmt.Errorf("--min-price %q: one coin per accepted denom, e.g. 1000uaic,500ibc/<hash>: %v", get("min-price"), err)
	}
	perGFLOP, err := sdkmath.LegacyNewDecFromStr(get("price-per-gflop"))
	if err != nil || perGFLOP.IsNegative() {
		return provider.Config{}, fmt.Errorf("--price-per-gflop %q must be a non-negative decimal", get("price-per-gflop"))
	}
	perKRows, err := sdkmath.LegacyNewDecFromStr(get("price-per-1k-rows"))
	if err != nil || perKRows.IsNegative() {
		return provider.Config{}, fmt.Errorf("--price-per-1k-rows %q must be a non-negative decimal", get("price-per-1k-rows"))
	}
	fault, err := faultConfig(fs)
	if err != nil {
		return provider.Config{}, err
	}
	cfg := provider.Config{Moniker: get("moniker"), Bond: bond,
		Pricing: provider.Pricing{PerGFLOP: perGFLOP, PerKRows: perKRows, Floors: floors}, Fault: fault}
	cfg.Register, _ = fs.GetBool("register")
	cfg.BatchSize, _ = fs.GetInt("batch-size")
	cfg.WeightsSlots, _ = fs.GetInt("weights-slots")
	if cfg.WeightsSlots < 1 || cfg.WeightsSlots > provider.MaxWeightsSlots {
		return provider.Config{}, fmt.Errorf("--weights-slots %d: from 1 to %d", cfg.WeightsSlots, provider.MaxWeightsSlots)
	}
	cfg.Safety, _ = fs.GetFloat64("safety")
	cfg.Retention, _ = fs.GetDuration("retention")
	cfg.MaxChunkBytes, _ = fs.GetUint64("max-chunk-bytes")
	cfg.MaxOutputBytes, _ = fs.GetUint64("max-output-bytes")
	cfg.MaxMemoryBytes, _ = fs.GetUint64("max-memory-bytes")
	cfg.MaxDiskBytes, _ = fs.GetUint64("max-disk-bytes")
	return cfg, nil
}
