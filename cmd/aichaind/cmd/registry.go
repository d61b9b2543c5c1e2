package cmd

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/aichain/aichain/app"
	"github.com/aichain/aichain/chainreg"
)

const (
	flagRegChainName   = "chain-name"
	flagRegPrettyName  = "pretty-name"
	flagRegNetworkType = "network-type"
	flagRegStatus      = "status"
	flagRegRPC         = "public-rpc"
	flagRegREST        = "public-rest"
	flagRegGRPC        = "public-grpc"
	flagRegMinGasPrice = "min-gas-price"
	flagRegVersion     = "recommended-version"
	flagRegOut         = "out"
)

// chainRegistryCmd writes chain.json and assetlist.json for a chain from its
// genesis and its node's config.
func chainRegistryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "chain-registry",
		Short: "Write the chain-registry entry (chain.json, assetlist.json) of a chain from its genesis and config",
		Long: `Write chain.json and assetlist.json, the chain-registry files that wallets and explorers
read, into --out. The chain id, the fee and staking denom and the assets (the bank's denom
metadata) come from <home>/config/genesis.json; the endpoints default to what the node in
--home serves (config.toml's rpc.laddr, app.toml's api and grpc addresses) and the minimum gas
price to app.toml's minimum-gas-prices. Give public endpoints with --public-rpc, --public-rest and --public-grpc.`,
		Example: `aichaind chain-registry --home build/localnet/node0 --chain-name aichainlocal --network-type devnet --out chain-registry/localnet
aichaind chain-registry --home ~/.aichain --chain-name aichaintestnet --network-type testnet --status upcoming \
  --public-rpc https://rpc.testnet.aichain.example --public-rest https://rest.testnet.aichain.example \
  --public-grpc grpc.testnet.aichain.example:443 --out chain-registry/testnet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, _ := cmd.Flags().GetString(flags.FlagHome)
			cfg, err := registryConfig(cmd, home)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString(flagRegOut)
			return writeRegistry(filepath.Join(home, "config", "genesis.json"), cfg, out)
		},
	}
	cmd.Flags().String(flagRegChainName, "aichain", "The registry's name for the chain (lower-case letters and digits)")
	cmd.Flags().String(flagRegPrettyName, "aichain", "The chain's display name")
	cmd.Flags().String(flagRegNetworkType, "devnet", "mainnet | testnet | devnet")
	cmd.Flags().String(flagRegStatus, "live", "live | upcoming | killed")
	cmd.Flags().StringSlice(flagRegRPC, nil, "Public CometBFT RPC URLs (default: the node's rpc.laddr)")
	cmd.Flags().StringSlice(flagRegREST, nil, "Public REST URLs (default: the node's api.address)")
	cmd.Flags().StringSlice(flagRegGRPC, nil, "Public gRPC host:port (default: the node's grpc.address)")
	cmd.Flags().String(flagRegMinGasPrice, "", "Minimum gas price in uaic per gas (default: app.toml's minimum-gas-prices)")
	cmd.Flags().String(flagRegVersion, "", "The binary version validators should run (left out when empty)")
	cmd.Flags().String(flagRegOut, ".", "Folder that receives chain.json and assetlist.json")
	cmd.Flags().String(flags.FlagHome, app.DefaultNodeHome, "The node's home: its genesis, config.toml and app.toml")
	return cmd
}

// registryConfig reads the flags, filling what they leave out from the
// node's config.toml and app.toml.
func registryConfig(cmd *cobra.Command, home string) (chainreg.Config, error) {
	f := cmd.Flags()
	cfg := chainreg.Config{
		Bech32Prefix: app.Bech32Prefix, DaemonName: "aichaind", NodeHome: "$HOME/.aichain",
		GitRepo: "https://github.com/aichain/aichain", SchemaPath: "../",
	}
	cfg.ChainName, _ = f.GetString(flagRegChainName)
	cfg.PrettyName, _ = f.GetString(flagRegPrettyName)
	cfg.NetworkType, _ = f.GetString(flagRegNetworkType)
	cfg.Status, _ = f.GetString(flagRegStatus)
	cfg.Version, _ = f.GetString(flagRegVersion)
	cfg.RPC, _ = f.GetStringSlice(flagRegRPC)
	cfg.REST, _ = f.GetStringSlice(flagRegREST)
	cfg.GRPC, _ = f.GetStringSlice(flagRegGRPC)
	price, _ := f.GetString(flagRegMinGasPrice)

	node, err := readTOML(filepath.Join(home, "config", "config.toml"))
	if err != nil {
		return cfg, err
	}
	appCfg, err := readTOML(filepath.Join(home, "config", "app.toml"))
	if err != nil {
		return cfg, err
	}
	if len(cfg.RPC) == 0 {
		cfg.RPC = []string{httpURL(node.GetString("rpc.laddr"))}
	}
	if len(cfg.REST) == 0 && appCfg.GetBool("api.enable") {
		cfg.REST = []string{httpURL(appCfg.GetString("api.address"))}
	}
	if len(cfg.GRPC) == 0 && appCfg.GetBool("grpc.enable") {
		cfg.GRPC = []string{appCfg.GetString("grpc.address")}
	}
	if price == "" {
		price = strings.TrimSuffix(appCfg.GetString("minimum-gas-prices"), app.BondDenom)
	}
	if _, err := fmt.Sscanf(price+" ", "%g ", &cfg.MinGasPrice); err != nil && price != "" {
		return cfg, fmt.Errorf("minimum gas price %q: want a number of %s per gas", price, app.BondDenom)
	}
	return cfg, nil
}

func readTOML(path string) (*viper.Viper, error) {
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("toml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return v, nil
}

// httpURL turns a listen address (tcp://127.0.0.1:26657) into a URL.
func httpURL(laddr string) string {
	hostport := laddr
	if i := strings.Index(laddr, "://"); i >= 0 {
		hostport = laddr[i+3:]
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "http://" + hostport
	}
	if host == "" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func writeRegistry(genesisPath string, cfg chainreg.Config, out string) error {
	bz, err := os.ReadFile(genesisPath)
	if err != nil {
		return err
	}
	var g chainreg.Genesis
	if err := json.Unmarshal(bz, &g); err != nil {
		return fmt.Errorf("%s: %w", genesisPath, err)
	}
	chain, assets, err := chainreg.Generate(g, cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, v := range map[string]any{"chain.json": chain, "assetlist.json": assets} {
		bz, err := chainreg.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, name), bz, 0o644); err != nil {
			return err
		}
	}
	return nil
}
