package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers the Msgs under the amino names that their
// protos declare (option (amino.name)).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgLock{}, "aichain/stakingrewards/MsgLock")
	legacy.RegisterAminoMsg(cdc, &MsgExtendLock{}, "aichain/stakingrewards/MsgExtendLock")
	legacy.RegisterAminoMsg(cdc, &MsgBeginUnlock{}, "aichain/stakingrewards/MsgBeginUnlock")
	legacy.RegisterAminoMsg(cdc, &MsgWithdraw{}, "aichain/stakingrewards/MsgWithdraw")
	legacy.RegisterAminoMsg(cdc, &MsgClaimRewards{}, "aichain/stakingrewards/MsgClaimRewards")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "aichain/stakingrewards/MsgUpdateParams")
}

// RegisterInterfaces registers the Msgs with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgLock{},
		&MsgExtendLock{},
		&MsgBeginUnlock{},
		&MsgWithdraw{},
		&MsgClaimRewards{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
