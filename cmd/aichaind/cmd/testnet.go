package cmd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtconfig "github.com/cometbft/cometbft/config"
	cmttime "github.com/cometbft/cometbft/types/time"
	"github.com/spf13/cobra"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	srvconfig "github.com/cosmos/cosmos-sdk/server/config"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aichain/aichain/app"
)

const (
	flagNumValidators = "v"
	flagOutputDir     = "output-dir"
	flagFundedKeys    = "funded-keys"
	flagP2PPort       = "p2p-port"
	flagRPCPort       = "rpc-port"
	flagGRPCPort      = "grpc-port"
	flagAPIPort       = "api-port"
	flagPortStep      = "port-step"
	flagBlockTime     = "block-time"
	flagMinGasPrices  = "minimum-gas-prices"
	flagAccountTokens = "account-tokens"
	flagStakeTokens   = "stake-tokens"
	flagVerifierPort  = "verifier-port"
	flagPromPort      = "prometheus-port"
)

// NodePorts are the listen ports of one testnet node, all on 127.0.0.1.
type NodePorts struct {
	P2P, RPC, GRPC, API int
}

// For returns node i's ports: node0's ports shifted by step*i, so that any
// number of nodes can run side by side on 127.0.0.1.
func (p NodePorts) For(step, i int) NodePorts {
	d := step * i
	return NodePorts{P2P: p.P2P + d, RPC: p.RPC + d, GRPC: p.GRPC + d, API: p.API + d}
}

func (p NodePorts) all() []int { return []int{p.P2P, p.RPC, p.GRPC, p.API} }

// NewTestnetCmd returns the `testnet` command group.
func NewTestnetCmd(mbm module.BasicManager) *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "testnet",
		Short:                      "Set up a local test network of one or more validators",
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(testnetInitFilesCmd(mbm))
	return cmd
}

type initArgs struct {
	chainID        string
	outputDir      string
	keyringBackend string
	numValidators  int
	fundedKeys     []string
	ports          NodePorts
	portStep       int
	blockTime      time.Duration
	minGasPrices   string
	accountTokens  math.Int
	stakeTokens    math.Int
	algo           string
	verifierPort   int
	promPort       int
}

func testnetInitFilesCmd(mbm module.BasicManager) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init-files",
		Short: "Write the config, keys and genesis of N validators that run on 127.0.0.1",
		Long: `Write, under --output-dir, one home directory per validator (node0, node1, …), each with
its own keyring, node key, validator key, config.toml, app.toml and client.toml, and one
genesis shared by all of them. Every listener is on 127.0.0.1; node i listens on node0's ports
(--p2p-port, --rpc-port, --grpc-port, --api-port) plus port-step*i. Keys named in --funded-keys are created in node0's keyring and funded
in genesis. Mnemonics are written to <home>/key_seed_<name>.json.`,
		Example: `aichaind testnet init-files --v 4 --output-dir ./build/testnet --chain-id aichain-local-1 \
  --funded-keys alice,bob,provider --keyring-backend test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			a, err := readInitArgs(cmd)
			if err != nil {
				return err
			}
			if err := a.validate(); err != nil {
				return err
			}
			return initTestnetFiles(cmd, clientCtx, mbm, a)
		},
	}
	addInitFilesFlags(cmd)
	return cmd
}

func addInitFilesFlags(cmd *cobra.Command) {
	cmd.Flags().Int(flagNumValidators, 1, "Number of validators")
	cmd.Flags().StringP(flagOutputDir, "o", "./build/testnet", "Directory that receives one home per validator")
	cmd.Flags().String(flags.FlagChainID, "aichain-local-1", "Chain ID")
	cmd.Flags().String(flags.FlagKeyringBackend, keyring.BackendTest, "Keyring backend (os|file|test)")
	cmd.Flags().String(flags.FlagKeyType, string(hd.Secp256k1Type), "Key signing algorithm")
	cmd.Flags().StringSlice(flagFundedKeys, nil, "Extra keys to create in node0's keyring and fund in genesis")
	cmd.Flags().Int(flagP2PPort, 26656, "node0's P2P port")
	cmd.Flags().Int(flagRPCPort, 26657, "node0's CometBFT RPC port")
	cmd.Flags().Int(flagGRPCPort, 9090, "node0's gRPC port")
	cmd.Flags().Int(flagAPIPort, 1317, "node0's REST (gRPC-gateway) port")
	cmd.Flags().Int(flagPortStep, 10, "Port distance between two nodes: node i listens on node0's ports + step*i")
	cmd.Flags().Duration(flagBlockTime, time.Second, "CometBFT timeout_commit: roughly the block time")
	cmd.Flags().String(flagMinGasPrices, "0"+app.BondDenom, "Minimum gas prices each node accepts")
	cmd.Flags().String(flagAccountTokens, "1000000000000", "uaic given to every funded account and validator")
	cmd.Flags().String(flagStakeTokens, "100000000000", "uaic each validator self-delegates")
	cmd.Flags().Int(flagVerifierPort, 0, "node0's verifier sidecar port ([verifier] address 127.0.0.1:port, node i: port + port-step*i); 0: no sidecar")
	cmd.Flags().Int(flagPromPort, 0, "node0's CometBFT Prometheus port (node i: port + port-step*i), and the SDK's telemetry on the REST server's /metrics; 0: off")
}

// readInitArgs reads the init-files flags.
func readInitArgs(cmd *cobra.Command) (initArgs, error) {
	var a initArgs
	f := cmd.Flags()
	a.chainID, _ = f.GetString(flags.FlagChainID)
	a.outputDir, _ = f.GetString(flagOutputDir)
	a.keyringBackend, _ = f.GetString(flags.FlagKeyringBackend)
	a.numValidators, _ = f.GetInt(flagNumValidators)
	a.fundedKeys, _ = f.GetStringSlice(flagFundedKeys)
	a.ports.P2P, _ = f.GetInt(flagP2PPort)
	a.ports.RPC, _ = f.GetInt(flagRPCPort)
	a.ports.GRPC, _ = f.GetInt(flagGRPCPort)
	a.ports.API, _ = f.GetInt(flagAPIPort)
	a.portStep, _ = f.GetInt(flagPortStep)
	a.blockTime, _ = f.GetDuration(flagBlockTime)
	a.minGasPrices, _ = f.GetString(flagMinGasPrices)
	a.algo, _ = f.GetString(flags.FlagKeyType)
	a.verifierPort, _ = f.GetInt(flagVerifierPort)
	a.promPort, _ = f.GetInt(flagPromPort)
	accountTokens, _ := f.GetString(flagAccountTokens)
	stakeTokens, _ := f.GetString(flagStakeTokens)
	var ok bool
	if a.accountTokens, ok = math.NewIntFromString(accountTokens); !ok || !a.accountTokens.IsPositive() {
		return a, fmt.Errorf("--%s: %q is not a positive integer", flagAccountTokens, accountTokens)
	}
	if a.stakeTokens, ok = math.NewIntFromString(stakeTokens); !ok || !a.stakeTokens.IsPositive() {
		return a, fmt.Errorf("--%s: %q is not a positive integer", flagStakeTokens, stakeTokens)
	}
	return a, nil
}

// validate checks the arguments together: token amounts, counts and that no
// two nodes share a port.
func (a initArgs) validate() error {
	if a.stakeTokens.GT(a.accountTokens) {
		return fmt.Errorf("--%s must not exceed --%s", flagStakeTokens, flagAccountTokens)
	}
	if a.numValidators < 1 {
		return fmt.Errorf("--%s must be at least 1", flagNumValidators)
	}
	if a.chainID == "" {
		return fmt.Errorf("--%s is required", flags.FlagChainID)
	}
	if a.numValidators > 1 && a.portStep < 1 {
		return fmt.Errorf("--%s must be positive", flagPortStep)
	}
	seen := map[int]string{}
	for i := 0; i < a.numValidators; i++ {
		ports := a.ports.For(a.portStep, i).all()
		for _, extra := range []int{a.promPort, a.verifierPort} {
			if extra > 0 {
				ports = append(ports, extra+a.portStep*i)
			}
		}
		for _, p := range ports {
			if p < 1024 || p > 65535 {
				return fmt.Errorf("node%d: port %d is out of range 1024..65535", i, p)
			}
			if other, dup := seen[p]; dup {
				return fmt.Errorf("node%d: port %d is also used by %s: choose another --%s", i, p, other, flagPortStep)
			}
			seen[p] = fmt.Sprintf("node%d", i)
		}
	}
	return nil
}

type nodeInfo struct {
	name   string
	dir    string
	ports  NodePorts
	cfg    *cmtconfig.Config
	nodeID string
	valPub cryptotypes.PubKey
	beacon beaconEntry // testnet_beacon.go
}

// testnetGenesis collects the accounts and balances that genesis funds.
type testnetGenesis struct {
	accounts []authtypes.GenesisAccount
	balances []banktypes.Balance
}

func (g *testnetGenesis) fund(addr sdk.AccAddress, amount math.Int) {
	g.accounts = append(g.accounts, authtypes.NewBaseAccount(addr, nil, 0, 0))
	g.balances = append(g.balances, banktypes.Balance{
		Address: addr.String(),
		Coins:   sdk.NewCoins(sdk.NewCoin(app.BondDenom, amount)),
	})
}

func initTestnetFiles(cmd *cobra.Command, clientCtx client.Context, mbm module.BasicManager, a initArgs) error {
	gentxsDir := filepath.Join(a.outputDir, "gentxs")
	if err := os.MkdirAll(gentxsDir, 0o755); err != nil {
		return err
	}
	var (
		gen   testnetGenesis
		nodes []nodeInfo
	)
	for i := 0; i < a.numValidators; i++ {
		n, err := initNode(cmd, clientCtx, a, i, gentxsDir, &gen)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	if err := writeTestnetGenesis(clientCtx, mbm, a, gen.accounts, gen.balances, nodes); err != nil {
		return err
	}
	if err := collectGentxs(clientCtx, a, gentxsDir, nodes); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Initialized %d validator(s) under %s (chain-id %s)\n", a.numValidators, a.outputDir, a.chainID)
	for _, n := range nodes {
		fmt.Fprintf(out, "  %s: rpc 127.0.0.1:%d  grpc 127.0.0.1:%d  rest 127.0.0.1:%d  p2p 127.0.0.1:%d\n",
			n.name, n.ports.RPC, n.ports.GRPC, n.ports.API, n.ports.P2P)
	}
	return nil
}

// initNode writes node i's home: CometBFT config and validator files, its
// keys (node0 also gets the funded keys), its gentx, app.toml and client.toml.
func initNode(cmd *cobra.Command, clientCtx client.Context, a initArgs, i int, gentxsDir string, gen *testnetGenesis) (nodeInfo, error) {
	n := nodeInfo{name: fmt.Sprintf("node%d", i), dir: filepath.Join(a.outputDir, fmt.Sprintf("node%d", i))}
	n.ports = a.ports.For(a.portStep, i)
	if err := os.MkdirAll(filepath.Join(n.dir, "config"), 0o755); err != nil {
		return n, err
	}
	n.cfg = nodeCometConfig(n, a.blockTime)
	if a.promPort > 0 {
		n.cfg.Instrumentation.Prometheus = true
		n.cfg.Instrumentation.PrometheusListenAddr = fmt.Sprintf("127.0.0.1:%d", a.promPort+a.portStep*i)
	}
	var err error
	n.nodeID, n.valPub, err = genutil.InitializeNodeValidatorFiles(n.cfg)
	if err != nil {
		return n, fmt.Errorf("%s: validator files: %w", n.name, err)
	}
	kb, err := keyring.New(sdk.KeyringServiceName(), a.keyringBackend, n.dir, bufio.NewReader(cmd.InOrStdin()), clientCtx.Codec)
	if err != nil {
		return n, err
	}
	names := []string{n.name}
	if i == 0 {
		names = append(names, a.fundedKeys...)
	}
	valAddr, err := createNodeKeys(kb, a, n, names, gen)
	if err != nil {
		return n, err
	}
	if err := writeGentx(cmd, clientCtx, a, n, kb, valAddr, gentxsDir); err != nil {
		return n, err
	}
	if n.beacon, err = initBeaconKey(a.chainID, n.dir, sdk.ValAddress(valAddr)); err != nil {
		return n, err
	}
	writeNodeAppConfig(a, n, i)
	// client.toml: so that `--home nodeI` talks to this node and this chain.
	return n, writeClientConfig(n.dir, a.chainID, a.keyringBackend, n.ports.RPC)
}

// nodeCometConfig is a node's config.toml: every listener on 127.0.0.1, and
// the RPC open to browser apps (explorers, wallets) on any origin, as a
// local network wants; a public node sets its own origins (see the README).
func nodeCometConfig(n nodeInfo, blockTime time.Duration) *cmtconfig.Config {
	cfg := cmtconfig.DefaultConfig()
	cfg.SetRoot(n.dir)
	cfg.Moniker = n.name
	cfg.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", n.ports.P2P)
	cfg.P2P.ExternalAddress = ""
	cfg.P2P.AllowDuplicateIP = true
	cfg.P2P.AddrBookStrict = false
	cfg.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", n.ports.RPC)
	cfg.RPC.PprofListenAddress = ""
	cfg.RPC.CORSAllowedOrigins = []string{"*"}
	cfg.Consensus.TimeoutCommit = blockTime
	cfg.Instrumentation.Prometheus = false
	return cfg
}

// createNodeKeys creates the named keys in a node's keyring, writes their
// mnemonics beside it, funds them in genesis, and returns the validator's.
func createNodeKeys(kb keyring.Keyring, a initArgs, n nodeInfo, names []string, gen *testnetGenesis) (sdk.AccAddress, error) {
	algo, err := keyring.NewSigningAlgoFromString(a.algo, keyring.SigningAlgoList{hd.Secp256k1})
	if err != nil {
		return nil, err
	}
	var valAddr sdk.AccAddress
	for _, name := range names {
		addr, secret, err := testutil.GenerateSaveCoinKey(kb, name, "", true, algo)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", name, err)
		}
		seed, err := json.Marshal(map[string]string{"name": name, "address": addr.String(), "secret": secret})
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(n.dir, "key_seed_"+name+".json"), seed, 0o600); err != nil {
			return nil, err
		}
		gen.fund(addr, a.accountTokens)
		if name == n.name {
			valAddr = addr
		}
	}
	return valAddr, nil
}

// writeGentx signs the node's MsgCreateValidator (its self-delegation) into gentxsDir.
func writeGentx(cmd *cobra.Command, clientCtx client.Context, a initArgs, n nodeInfo, kb keyring.Keyring, valAddr sdk.AccAddress, gentxsDir string) error {
	msg, err := stakingtypes.NewMsgCreateValidator(
		sdk.ValAddress(valAddr).String(), n.valPub,
		sdk.NewCoin(app.BondDenom, a.stakeTokens),
		stakingtypes.NewDescription(n.name, "", "", "", ""),
		stakingtypes.NewCommissionRates(math.LegacyNewDecWithPrec(5, 2), math.LegacyNewDecWithPrec(20, 2), math.LegacyNewDecWithPrec(1, 2)),
		math.OneInt(),
	)
	if err != nil {
		return err
	}
	txBuilder := clientCtx.TxConfig.NewTxBuilder()
	if err := txBuilder.SetMsgs(msg); err != nil {
		return err
	}
	memo := fmt.Sprintf("%s@%s", n.nodeID, net.JoinHostPort("127.0.0.1", fmt.Sprint(n.ports.P2P)))
	txBuilder.SetMemo(memo)
	txFactory := tx.Factory{}.
		WithChainID(a.chainID).
		WithMemo(memo).
		WithKeybase(kb).
		WithTxConfig(clientCtx.TxConfig)
	if err := tx.Sign(cmd.Context(), txFactory, n.name, txBuilder, true); err != nil {
		return fmt.Errorf("%s: sign gentx: %w", n.name, err)
	}
	txBz, err := clientCtx.TxConfig.TxJSONEncoder()(txBuilder.GetTx())
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(gentxsDir, n.name+".json"), txBz, 0o644)
}

// writeNodeAppConfig writes node i's app.toml: gRPC and REST on 127.0.0.1,
// and its sidecar's address when the testnet has sidecars.
func writeNodeAppConfig(a initArgs, n nodeInfo, i int) {
	fullCfg := DefaultAppConfig()
	appCfg := &fullCfg.Config
	appCfg.MinGasPrices = a.minGasPrices
	appCfg.API.Enable = true
	appCfg.API.Swagger = true
	appCfg.API.EnableUnsafeCORS = true
	appCfg.API.Address = fmt.Sprintf("tcp://127.0.0.1:%d", n.ports.API)
	appCfg.GRPC.Enable = true
	appCfg.GRPC.Address = fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC)
	appCfg.Telemetry.Enabled = a.promPort > 0
	if a.promPort > 0 {
		appCfg.Telemetry.PrometheusRetentionTime = 60
		appCfg.Telemetry.EnableHostnameLabel = false
	}
	fullCfg.Proposer.MaxExecTime = app.DefaultMaxExecTime(a.blockTime)
	if a.verifierPort > 0 {
		fullCfg.Verifier.Address = fmt.Sprintf("127.0.0.1:%d", a.verifierPort+a.portStep*i)
	}
	srvconfig.SetConfigTemplate(AppConfigTemplate)
	srvconfig.WriteConfigFile(filepath.Join(n.dir, "config", "app.toml"), fullCfg)
}

// collectGentxs puts every gentx into each node's genesis and writes its
// config.toml with the persistent peers.
func collectGentxs(clientCtx client.Context, a initArgs, gentxsDir string, nodes []nodeInfo) error {
	genTime := cmttime.Now()
	for _, n := range nodes {
		initCfg := genutiltypes.NewInitConfig(a.chainID, gentxsDir, n.nodeID, n.valPub)
		appGenesis, err := genutiltypes.AppGenesisFromFile(n.cfg.GenesisFile())
		if err != nil {
			return err
		}
		appGenesis.GenesisTime = genTime
		if _, err := genutil.GenAppStateFromConfig(
			clientCtx.Codec, clientCtx.TxConfig, n.cfg, initCfg, appGenesis,
			banktypes.GenesisBalancesIterator{}, genutiltypes.DefaultMessageValidator,
			clientCtx.TxConfig.SigningContext().ValidatorAddressCodec(),
		); err != nil {
			return fmt.Errorf("%s: collect gentxs: %w", n.name, err)
		}
		// GenAppStateFromConfig wrote the persistent peers; keep our listen settings too.
		cmtconfig.WriteConfigFile(filepath.Join(n.dir, "config", "config.toml"), n.cfg)
	}
	return nil
}

func writeTestnetGenesis(
	clientCtx client.Context, mbm module.BasicManager, a initArgs,
	accounts []authtypes.GenesisAccount, balances []banktypes.Balance, nodes []nodeInfo,
) error {
	appGenState := mbm.DefaultGenesis(clientCtx.Codec)

	var authGenState authtypes.GenesisState
	clientCtx.Codec.MustUnmarshalJSON(appGenState[authtypes.ModuleName], &authGenState)
	packed, err := authtypes.PackAccounts(accounts)
	if err != nil {
		return err
	}
	authGenState.Accounts = packed
	appGenState[authtypes.ModuleName] = clientCtx.Codec.MustMarshalJSON(&authGenState)

	var bankGenState banktypes.GenesisState
	clientCtx.Codec.MustUnmarshalJSON(appGenState[banktypes.ModuleName], &bankGenState)
	bankGenState.Balances = banktypes.SanitizeGenesisBalances(balances)
	for _, b := range bankGenState.Balances {
		bankGenState.Supply = bankGenState.Supply.Add(b.Coins...)
	}
	appGenState[banktypes.ModuleName] = clientCtx.Codec.MustMarshalJSON(&bankGenState)

	ApplyLocalnetGenesisDefaults(clientCtx.Codec, appGenState)
	addBeaconKeys(clientCtx.Codec, appGenState, nodes)

	appState, err := json.MarshalIndent(appGenState, "", "  ")
	if err != nil {
		return err
	}
	appGenesis := genutiltypes.NewAppGenesisWithVersion(a.chainID, appState)
	if err := appGenesis.ValidateAndComplete(); err != nil {
		return err
	}
	EnableVoteExtensions(appGenesis)
	for _, n := range nodes {
		if err := appGenesis.SaveAs(n.cfg.GenesisFile()); err != nil {
			return err
		}
	}
	return nil
}

func writeClientConfig(home, chainID, keyringBackend string, rpcPort int) error {
	content := strings.Join([]string{
		"# client.toml written by aichaind testnet init-files",
		fmt.Sprintf("chain-id = %q", chainID),
		fmt.Sprintf("keyring-backend = %q", keyringBackend),
		`keyring-default-keyname = ""`,
		`output = "text"`,
		fmt.Sprintf(`node = "tcp://127.0.0.1:%d"`, rpcPort),
		`broadcast-mode = "sync"`,
		"",
		"[grpc]",
		`address = ""`,
		"insecure = false",
		"",
	}, "\n")
	return os.WriteFile(filepath.Join(home, "config", "client.toml"), []byte(content), 0o644)
}
