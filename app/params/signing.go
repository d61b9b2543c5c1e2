package params

import (
	"cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/codec/address"

	vetypes "github.com/aichain/aichain/app/ve/types"
)

// SigningOptions are the x/tx signing options of every interface registry
// that handles aichain transactions (the node's, the agents', a wallet
// backend's): the bech32 address codecs, and the absent signer of
// MsgInjectVerdicts, a block's unsigned transaction 0, without which no
// registry can decode aichain blocks.
func SigningOptions() signing.Options {
	o := signing.Options{
		AddressCodec:          address.NewBech32Codec(Bech32Prefix),
		ValidatorAddressCodec: address.NewBech32Codec(Bech32PrefixValAddr),
	}
	vetypes.DefineCustomGetSigners(&o)
	return o
}
