package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers every Msg under its amino name (the same
// as the proto's amino.name option), for amino JSON signing.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgCommitContent{}, "aichain/datamarket/MsgCommitContent")
	legacy.RegisterAminoMsg(cdc, &MsgListDataset{}, "aichain/datamarket/MsgListDataset")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateDataset{}, "aichain/datamarket/MsgUpdateDataset")
	legacy.RegisterAminoMsg(cdc, &MsgDelistDataset{}, "aichain/datamarket/MsgDelistDataset")
	legacy.RegisterAminoMsg(cdc, &MsgPurchaseLicense{}, "aichain/datamarket/MsgPurchaseLicense")
	legacy.RegisterAminoMsg(cdc, &MsgRenewLicense{}, "aichain/datamarket/MsgRenewLicense")
	legacy.RegisterAminoMsg(cdc, &MsgTransferLicense{}, "aichain/datamarket/MsgTransferLicense")
	// "aichain/datamarket/MsgUpdateDatasetShares" would pass amino's 39-character limit.
	legacy.RegisterAminoMsg(cdc, &MsgUpdateDatasetShares{}, "aichain/datamarket/MsgUpdateShares")
	legacy.RegisterAminoMsg(cdc, &MsgTransferDataset{}, "aichain/datamarket/MsgTransferDataset")
	legacy.RegisterAminoMsg(cdc, &MsgAcceptDataset{}, "aichain/datamarket/MsgAcceptDataset")
	// "aichain/datamarket/MsgCancelDatasetTransfer" would pass the limit too.
	legacy.RegisterAminoMsg(cdc, &MsgCancelDatasetTransfer{}, "aichain/datamarket/MsgCancelTransfer")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "aichain/datamarket/MsgUpdateParams")
}

// RegisterInterfaces registers the Msgs and the Msg service.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgCommitContent{},
		&MsgListDataset{},
		&MsgUpdateDataset{},
		&MsgDelistDataset{},
		&MsgPurchaseLicense{},
		&MsgRenewLicense{},
		&MsgTransferLicense{},
		&MsgUpdateDatasetShares{},
		&MsgTransferDataset{},
		&MsgAcceptDataset{},
		&MsgCancelDatasetTransfer{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
