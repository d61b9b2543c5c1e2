// Package types holds the one message of package ve: MsgInjectVerdicts, the
// unsigned transaction 0 in which a block's proposer carries the previous
// height's extended commit.
package types

import (
	"context"

	"github.com/cosmos/gogoproto/proto"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"cosmossdk.io/x/tx/signing"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// TypeURL is MsgInjectVerdicts' type URL: a transaction that does not hold
// these bytes cannot hold the message. A constant: computed from the type
// (sdk.MsgTypeURL) in a package variable it was "/", since package
// variables are set before the generated code's init registers the type,
// and every transaction held "/" (TestTypeURLIsTheMsgs).
const TypeURL = "/aichain.ve.v1.MsgInjectVerdicts"

// RegisterInterfaces registers MsgInjectVerdicts and its service.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil), &MsgInjectVerdicts{})
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the amino name, for JSON renderings.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	cdc.RegisterConcrete(&MsgInjectVerdicts{}, "aichain/ve/MsgInjectVerdicts", nil)
}

// DefineCustomGetSigners declares that MsgInjectVerdicts has no signer: no
// account sends it, and no signature covers it (ProcessProposal checks the
// validators' signatures inside the commit it carries). Every interface
// registry that decodes aichain blocks (the node's, a client's) needs it.
func DefineCustomGetSigners(o *signing.Options) {
	o.DefineCustomGetSigners(protoreflect.FullName(proto.MessageName(&MsgInjectVerdicts{})), func(protov2.Message) ([][]byte, error) { return [][]byte{}, nil })
}

// Server executes MsgInjectVerdicts: the PreBlocker has already applied its
// verdicts, so executing the transaction records it and does nothing else.
type Server struct{}

var _ MsgServer = Server{}

// InjectVerdicts implements MsgServer.
func (Server) InjectVerdicts(context.Context, *MsgInjectVerdicts) (*MsgInjectVerdictsResponse, error) {
	return &MsgInjectVerdictsResponse{}, nil
}
