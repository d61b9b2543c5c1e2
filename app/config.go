package app

import (
	"github.com/aichain/aichain/app/params"
)

// The chain's names, prefixes and denoms. They live in package app/params,
// which clients import without the app; importing it (as this package does)
// sets the SDK's global bech32 prefixes and default bond denom.
const (
	// AppName is the name of the application, as BaseApp knows it.
	AppName = "aichain"

	// Bech32Prefix is the human-readable part of every aichain address:
	// aic1… accounts, aicvaloper1… validators, aicvalcons1… consensus keys.
	Bech32Prefix = params.Bech32Prefix

	// BondDenom is the staking, fee, mint and governance denom: 1 AIC = 10^6 uaic.
	BondDenom = params.BondDenom

	// DisplayDenom is the whole-token unit shown to people.
	DisplayDenom = params.DisplayDenom

	Bech32PrefixAccPub   = params.Bech32PrefixAccPub
	Bech32PrefixValAddr  = params.Bech32PrefixValAddr
	Bech32PrefixValPub   = params.Bech32PrefixValPub
	Bech32PrefixConsAddr = params.Bech32PrefixConsAddr
	Bech32PrefixConsPub  = params.Bech32PrefixConsPub
)

// SetAddressPrefixes sets the global bech32 prefixes. It is idempotent; the
// import of app/params has already called it.
func SetAddressPrefixes() { params.SetAddressPrefixes() }
