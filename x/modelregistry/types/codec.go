package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// Amino names of the module's Msgs; they match the (amino.name) options in
// proto/aichain/modelregistry/v1/tx.proto and stay under 40 characters.
const (
	AminoMsgCommitWeights     = "aichain/models/MsgCommitWeights"
	AminoMsgRegisterModel     = "aichain/models/MsgRegisterModel"
	AminoMsgPublishVersion    = "aichain/models/MsgPublishVersion"
	AminoMsgUpdateFees        = "aichain/models/MsgUpdateFees"
	AminoMsgUpdateShares      = "aichain/models/MsgUpdateShares"
	AminoMsgUpdateUri         = "aichain/models/MsgUpdateUri"
	AminoMsgDeprecateModel    = "aichain/models/MsgDeprecateModel"
	AminoMsgTransferOwnership = "aichain/models/MsgTransferOwnership"
	AminoMsgAcceptOwnership   = "aichain/models/MsgAcceptOwnership"
	// MsgCancelOwnershipTransfer: "aichain/models/MsgCancelOwnershipTransfer" would pass 39.
	AminoMsgCancelTransfer = "aichain/models/MsgCancelTransfer"
	AminoMsgUpdateParams   = "aichain/models/MsgUpdateParams"
)

// RegisterInterfaces registers the module's Msgs and Msg service.
func RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	ir.RegisterImplementations((*sdk.Msg)(nil),
		&MsgCommitWeights{},
		&MsgRegisterModel{},
		&MsgPublishVersion{},
		&MsgUpdateFees{},
		&MsgUpdateShares{},
		&MsgUpdateUri{},
		&MsgDeprecateModel{},
		&MsgTransferOwnership{},
		&MsgAcceptOwnership{},
		&MsgCancelOwnershipTransfer{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(ir, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the module's Msgs for amino JSON signing.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgCommitWeights{}, AminoMsgCommitWeights)
	legacy.RegisterAminoMsg(cdc, &MsgRegisterModel{}, AminoMsgRegisterModel)
	legacy.RegisterAminoMsg(cdc, &MsgPublishVersion{}, AminoMsgPublishVersion)
	legacy.RegisterAminoMsg(cdc, &MsgUpdateFees{}, AminoMsgUpdateFees)
	legacy.RegisterAminoMsg(cdc, &MsgUpdateShares{}, AminoMsgUpdateShares)
	legacy.RegisterAminoMsg(cdc, &MsgUpdateUri{}, AminoMsgUpdateUri)
	legacy.RegisterAminoMsg(cdc, &MsgDeprecateModel{}, AminoMsgDeprecateModel)
	legacy.RegisterAminoMsg(cdc, &MsgTransferOwnership{}, AminoMsgTransferOwnership)
	legacy.RegisterAminoMsg(cdc, &MsgAcceptOwnership{}, AminoMsgAcceptOwnership)
	legacy.RegisterAminoMsg(cdc, &MsgCancelOwnershipTransfer{}, AminoMsgCancelTransfer)
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, AminoMsgUpdateParams)
}
