package app

import (
	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// AppName is the name of the application, as BaseApp knows it.
	AppName = "aichain"

	// Bech32Prefix is the human-readable part of every aichain address:
	// aic1… accounts, aicvaloper1… validators, aicvalcons1… consensus keys.
	Bech32Prefix = "aic"

	// BondDenom is the staking, fee, mint and governance denom: 1 AIC = 10^6 uaic.
	BondDenom = "uaic"

	// DisplayDenom is the whole-token unit shown to people.
	DisplayDenom = "AIC"
)

var (
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
// called from init so that tests and the CLI agree before anything seals the
// config.
func SetAddressPrefixes() {
	cfg := sdk.GetConfig()
	if cfg.GetBech32AccountAddrPrefix() == Bech32Prefix {
		return
	}
	cfg.SetBech32PrefixForAccount(Bech32Prefix, Bech32PrefixAccPub)
	cfg.SetBech32PrefixForValidator(Bech32PrefixValAddr, Bech32PrefixValPub)
	cfg.SetBech32PrefixForConsensusNode(Bech32PrefixConsAddr, Bech32PrefixConsPub)
}
