// Package chainreg writes aichain's chain-registry entry (chain.json and
// assetlist.json, the files Keplr, Leap, Mintscan and Ping.pub read) from a
// chain's own genesis and endpoints, so that the entry can never disagree
// with the chain it describes.
package chainreg

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"

	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// Config is what the genesis does not say: the registry name, the network's
// kind and status, and the public endpoints.
type Config struct {
	ChainName   string // registry folder name, e.g. "aichain" or "aichaintestnet"
	PrettyName  string
	NetworkType string // mainnet | testnet | devnet
	Status      string // live | upcoming | killed
	Website     string
	GitRepo     string
	// Version is the recommended binary version (empty: left out).
	Version string
	// MinGasPrice is the fee token's fixed minimum gas price (uaic per gas).
	MinGasPrice  float64
	RPC, REST    []string
	GRPC         []string
	Bech32Prefix string
	DaemonName   string
	NodeHome     string
	// SchemaPath is the relative path to the registry's schema files from
	// where the files will live (the registry wants "../chain.schema.json").
	SchemaPath string
}

// Genesis is the part of a genesis file the registry needs.
type Genesis struct {
	ChainID  string                     `json:"chain_id"`
	AppState map[string]json.RawMessage `json:"app_state"`
}

// ChainJSON is chain.json.
type ChainJSON struct {
	Schema       string      `json:"$schema"`
	ChainName    string      `json:"chain_name"`
	ChainType    string      `json:"chain_type"`
	ChainID      string      `json:"chain_id"`
	PrettyName   string      `json:"pretty_name,omitempty"`
	Website      string      `json:"website,omitempty"`
	Status       string      `json:"status"`
	NetworkType  string      `json:"network_type"`
	Bech32Prefix string      `json:"bech32_prefix"`
	DaemonName   string      `json:"daemon_name"`
	NodeHome     string      `json:"node_home"`
	KeyAlgos     []string    `json:"key_algos"`
	Slip44       int         `json:"slip44"`
	Fees         Fees        `json:"fees"`
	Staking      Staking     `json:"staking"`
	Codebase     Codebase    `json:"codebase"`
	Description  string      `json:"description,omitempty"`
	APIs         APIs        `json:"apis"`
	Keywords     []string    `json:"keywords,omitempty"`
	Explorers    []*Explorer `json:"explorers,omitempty"`
}

// Fees lists the fee tokens.
type Fees struct {
	FeeTokens []FeeToken `json:"fee_tokens"`
}

// FeeToken is one fee denom and its gas prices.
type FeeToken struct {
	Denom            string  `json:"denom"`
	FixedMinGasPrice float64 `json:"fixed_min_gas_price"`
	LowGasPrice      float64 `json:"low_gas_price"`
	AverageGasPrice  float64 `json:"average_gas_price"`
	HighGasPrice     float64 `json:"high_gas_price"`
}

// Staking lists the staking tokens.
type Staking struct {
	StakingTokens []Denom `json:"staking_tokens"`
}

// Denom names one denom.
type Denom struct {
	Denom string `json:"denom"`
}

// Codebase says what the chain runs.
type Codebase struct {
	GitRepo            string    `json:"git_repo,omitempty"`
	RecommendedVersion string    `json:"recommended_version,omitempty"`
	Language           Component `json:"language"`
	SDK                Component `json:"sdk"`
	Consensus          Component `json:"consensus"`
}

// Component is a language, SDK or consensus engine and its version.
type Component struct {
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// APIs lists the public endpoints.
type APIs struct {
	RPC  []Endpoint `json:"rpc,omitempty"`
	REST []Endpoint `json:"rest,omitempty"`
	GRPC []Endpoint `json:"grpc,omitempty"`
}

// Endpoint is one endpoint.
type Endpoint struct {
	Address string `json:"address"`
}

// Explorer is one block explorer.
type Explorer struct {
	Kind   string `json:"kind,omitempty"`
	URL    string `json:"url,omitempty"`
	TxPage string `json:"tx_page,omitempty"`
}

// AssetList is assetlist.json.
type AssetList struct {
	Schema    string  `json:"$schema"`
	ChainName string  `json:"chain_name"`
	Assets    []Asset `json:"assets"`
}

// Asset is one asset, from the bank's denom metadata.
type Asset struct {
	Description string      `json:"description,omitempty"`
	DenomUnits  []DenomUnit `json:"denom_units"`
	TypeAsset   string      `json:"type_asset"`
	Base        string      `json:"base"`
	Name        string      `json:"name"`
	Display     string      `json:"display"`
	Symbol      string      `json:"symbol"`
}

// DenomUnit is one unit of an asset.
type DenomUnit struct {
	Denom    string   `json:"denom"`
	Exponent uint32   `json:"exponent"`
	Aliases  []string `json:"aliases,omitempty"`
}

// Generate builds chain.json and assetlist.json from a genesis and cfg. The
// fee and staking token is the staking module's bond denom; the assets are
// the bank's denom metadata, which must describe the bond denom.
func Generate(g Genesis, cfg Config) (ChainJSON, AssetList, error) {
	if g.ChainID == "" {
		return ChainJSON{}, AssetList{}, fmt.Errorf("the genesis has no chain_id")
	}
	var staking struct {
		Params struct {
			BondDenom string `json:"bond_denom"`
		} `json:"params"`
	}
	if err := json.Unmarshal(g.AppState[stakingtypes.ModuleName], &staking); err != nil {
		return ChainJSON{}, AssetList{}, fmt.Errorf("staking genesis: %w", err)
	}
	bond := staking.Params.BondDenom
	if bond == "" {
		return ChainJSON{}, AssetList{}, fmt.Errorf("the staking genesis has no bond denom")
	}
	assets, err := assetsOf(g.AppState[banktypes.ModuleName], bond)
	if err != nil {
		return ChainJSON{}, AssetList{}, err
	}
	price := cfg.MinGasPrice
	chain := ChainJSON{
		Schema: cfg.SchemaPath + "chain.schema.json", ChainName: cfg.ChainName, ChainType: "cosmos",
		ChainID: g.ChainID, PrettyName: cfg.PrettyName, Website: cfg.Website,
		Status: cfg.Status, NetworkType: cfg.NetworkType, Bech32Prefix: cfg.Bech32Prefix,
		DaemonName: cfg.DaemonName, NodeHome: cfg.NodeHome, KeyAlgos: []string{"secp256k1"}, Slip44: 118,
		Fees: Fees{FeeTokens: []FeeToken{{
			Denom: bond, FixedMinGasPrice: price, LowGasPrice: price, AverageGasPrice: price * 1.25, HighGasPrice: price * 2,
		}}},
		Staking: Staking{StakingTokens: []Denom{{Denom: bond}}},
		Codebase: Codebase{
			GitRepo: cfg.GitRepo, RecommendedVersion: cfg.Version,
			Language:  Component{Type: "go", Version: goVersion()},
			SDK:       Component{Type: "cosmos", Version: depVersion("github.com/cosmos/cosmos-sdk")},
			Consensus: Component{Type: "cometbft", Version: depVersion("github.com/cometbft/cometbft")},
		},
		Description: "A sovereign chain on which GPU compute, datasets and AI models are traded and settled, " +
			"with results verified by the validators.",
		APIs:     APIs{RPC: endpoints(cfg.RPC), REST: endpoints(cfg.REST), GRPC: endpoints(cfg.GRPC)},
		Keywords: []string{"gpu", "compute", "ai", "datasets", "models"},
	}
	list := AssetList{Schema: cfg.SchemaPath + "assetlist.schema.json", ChainName: cfg.ChainName, Assets: assets}
	return chain, list, nil
}

func assetsOf(bankGenesis json.RawMessage, bond string) ([]Asset, error) {
	var bank struct {
		DenomMetadata []struct {
			Description string `json:"description"`
			DenomUnits  []struct {
				Denom    string   `json:"denom"`
				Exponent uint32   `json:"exponent"`
				Aliases  []string `json:"aliases"`
			} `json:"denom_units"`
			Base    string `json:"base"`
			Display string `json:"display"`
			Name    string `json:"name"`
			Symbol  string `json:"symbol"`
		} `json:"denom_metadata"`
	}
	if err := json.Unmarshal(bankGenesis, &bank); err != nil {
		return nil, fmt.Errorf("bank genesis: %w", err)
	}
	var assets []Asset
	for _, m := range bank.DenomMetadata {
		a := Asset{Description: m.Description, TypeAsset: "sdk.coin", Base: m.Base, Name: m.Name, Display: m.Display, Symbol: m.Symbol}
		for _, u := range m.DenomUnits {
			a.DenomUnits = append(a.DenomUnits, DenomUnit{Denom: u.Denom, Exponent: u.Exponent, Aliases: u.Aliases})
		}
		assets = append(assets, a)
	}
	for _, a := range assets {
		if a.Base == bond {
			return assets, nil
		}
	}
	return nil, fmt.Errorf("the bank genesis has no denom metadata for the bond denom %s", bond)
}

func endpoints(addrs []string) []Endpoint {
	var out []Endpoint
	for _, a := range addrs {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, Endpoint{Address: a})
		}
	}
	return out
}

// depVersion is the version of a module this binary was built with.
func depVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range info.Deps {
		if d.Path == path {
			if d.Replace != nil && d.Replace.Version != "" {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}

// goVersion is the Go language version the module declares (go.mod's go line
// as the toolchain reports it, without the patch level).
func goVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	v := strings.TrimPrefix(info.GoVersion, "go")
	if parts := strings.SplitN(v, ".", 3); len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}

// Marshal renders a registry file as the registry formats it: two-space
// indent and a final newline.
func Marshal(v any) ([]byte, error) {
	bz, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(bz, '\n'), nil
}
