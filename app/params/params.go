// Package params holds aichain's address prefixes, its denoms and the shape
// of its encoding config: what a client of the chain needs without the app
// (the agents build their codecs with chainclient and never import package
// app, which wires every keeper). Importing it sets the SDK's global bech32
// prefixes and default bond denom to aichain's, as the app does.
package params

import (
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// Bech32Prefix is the human-readable part of every aichain address:
	// aic1… accounts, aicvaloper1… validators, aicvalcons1… consensus keys.
	Bech32Prefix = "aic"

	// BondDenom is the staking, fee, mint and governance denom: 1 AIC = 10^6 uaic.
	BondDenom = "uaic"

	// DisplayDenom is the whole-token unit shown to people.
	DisplayDenom = "AIC"

	Bech32PrefixAccPub   = Bech32Prefix + sdk.PrefixPublic
	Bech32PrefixValAddr  = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixOperator
	Bech32PrefixValPub   = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixOperator + sdk.PrefixPublic
	Bech32PrefixConsAddr = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixConsensus
	Bech32PrefixConsPub  = Bech32Prefix + sdk.PrefixValidator + sdk.PrefixConsensus + sdk.PrefixPublic
)

func init() {
	// Every default genesis (staking bond denom, mint denom, gov deposits) reads
	// sdk.DefaultBondDenom, so setting it here makes `aichaind init` write uaic.
	sdk.DefaultBondDenom = BondDenom
	SetAddressPrefixes()
}

// SetAddressPrefixes sets the global bech32 prefixes. It is idempotent and is
// called from init so that tests, the CLI and the agents agree before
// anything seals the config.
func SetAddressPrefixes() {
	cfg := sdk.GetConfig()
	if cfg.GetBech32AccountAddrPrefix() == Bech32Prefix {
		return
	}
	cfg.SetBech32PrefixForAccount(Bech32Prefix, Bech32PrefixAccPub)
	cfg.SetBech32PrefixForValidator(Bech32PrefixValAddr, Bech32PrefixValPub)
	cfg.SetBech32PrefixForConsensusNode(Bech32PrefixConsAddr, Bech32PrefixConsPub)
}

// EncodingConfig is what a client of the chain needs to encode, sign and
// decode its transactions and query responses.
type EncodingConfig struct {
	InterfaceRegistry types.InterfaceRegistry
	Codec             codec.Codec
	TxConfig          client.TxConfig
	Amino             *codec.LegacyAmino
}
