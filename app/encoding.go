package app

import "github.com/aichain/aichain/app/params"

// EncodingConfig is what a client of the chain needs to encode, sign and
// decode its transactions and query responses.
type EncodingConfig = params.EncodingConfig

// MakeEncodingConfig returns the app's encoding config, every module's types
// registered (NewClient: the app's codecs without a node; its
// SIGN_MODE_TEXTUAL has no denom metadata). Agents, which must not import
// the app, use chainclient.MakeEncodingConfig: the same codecs for the types
// they use.
func MakeEncodingConfig() EncodingConfig {
	c := NewClient()
	return EncodingConfig{
		InterfaceRegistry: c.InterfaceRegistry(),
		Codec:             c.AppCodec(),
		TxConfig:          c.TxConfig(),
		Amino:             c.LegacyAmino(),
	}
}
