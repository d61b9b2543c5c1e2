package chainclient

import (
	"fmt"

	vetypes "github.com/aichain/aichain/app/ve/types"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/std"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/aichain/aichain/app/params"
	computetypes "github.com/aichain/aichain/x/compute/types"
	datamarkettypes "github.com/aichain/aichain/x/datamarket/types"
	modelregistrytypes "github.com/aichain/aichain/x/modelregistry/types"
	stakingrewardstypes "github.com/aichain/aichain/x/staking-rewards/types"
)

// MakeEncodingConfig returns the codecs an agent signs, encodes and decodes
// aichain transactions with, built from codecs alone (app.MakeEncodingConfig
// builds a whole app for them): an interface registry with aichain's address
// codecs, the SDK's std and crypto types, auth and bank, the block's injected
// MsgInjectVerdicts, and the four aichain modules' types; a proto codec; the auth module's TxConfig with the default
// sign modes; and legacy amino with the same registrations. For these types
// it signs and encodes exactly as the app's config does.
func MakeEncodingConfig() (params.EncodingConfig, error) {
	registry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles:     proto.HybridResolver,
		SigningOptions: params.SigningOptions(),
	})
	if err != nil {
		return params.EncodingConfig{}, fmt.Errorf("interface registry: %w", err)
	}
	if err := registry.SigningContext().Validate(); err != nil {
		return params.EncodingConfig{}, fmt.Errorf("signing context: %w", err)
	}
	amino := codec.NewLegacyAmino()
	for _, m := range []struct {
		amino  func(*codec.LegacyAmino)
		ifaces func(codectypes.InterfaceRegistry)
	}{
		{std.RegisterLegacyAminoCodec, std.RegisterInterfaces},
		{vetypes.RegisterLegacyAminoCodec, vetypes.RegisterInterfaces},
		{authtypes.RegisterLegacyAminoCodec, authtypes.RegisterInterfaces},
		{banktypes.RegisterLegacyAminoCodec, banktypes.RegisterInterfaces},
		{computetypes.RegisterLegacyAminoCodec, computetypes.RegisterInterfaces},
		{datamarkettypes.RegisterLegacyAminoCodec, datamarkettypes.RegisterInterfaces},
		{modelregistrytypes.RegisterLegacyAminoCodec, modelregistrytypes.RegisterInterfaces},
		{stakingrewardstypes.RegisterLegacyAminoCodec, stakingrewardstypes.RegisterInterfaces},
	} {
		m.amino(amino)
		m.ifaces(registry)
	}
	cdc := codec.NewProtoCodec(registry)
	return params.EncodingConfig{
		InterfaceRegistry: registry,
		Codec:             cdc,
		TxConfig:          authtx.NewTxConfig(cdc, authtx.DefaultSignModes),
		Amino:             amino,
	}, nil
}
