package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterLegacyAminoCodec registers every Msg under the amino name its proto declares.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgRegisterProvider{}, "aichain/compute/MsgRegisterProvider")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateProvider{}, "aichain/compute/MsgUpdateProvider")
	legacy.RegisterAminoMsg(cdc, &MsgUnbondProvider{}, "aichain/compute/MsgUnbondProvider")
	legacy.RegisterAminoMsg(cdc, &MsgCreateJob{}, "aichain/compute/MsgCreateJob")
	legacy.RegisterAminoMsg(cdc, &MsgCancelJob{}, "aichain/compute/MsgCancelJob")
	legacy.RegisterAminoMsg(cdc, &MsgCommitBid{}, "aichain/compute/MsgCommitBid")
	legacy.RegisterAminoMsg(cdc, &MsgRevealBid{}, "aichain/compute/MsgRevealBid")
	legacy.RegisterAminoMsg(cdc, &MsgSubmitResult{}, "aichain/compute/MsgSubmitResult")
	legacy.RegisterAminoMsg(cdc, &MsgDisputeResult{}, "aichain/compute/MsgDisputeResult")
	legacy.RegisterAminoMsg(cdc, &MsgRevealSampleSecret{}, "aichain/compute/MsgRevealSampleSecret")
	legacy.RegisterAminoMsg(cdc, &MsgAbortJob{}, "aichain/compute/MsgAbortJob")
	legacy.RegisterAminoMsg(cdc, &MsgRegisterBeaconKey{}, "aichain/compute/MsgRegisterBeaconKey")
	legacy.RegisterAminoMsg(cdc, &MsgSetVerifierEndpoint{}, "aichain/compute/MsgSetVerifierEndpoint")
	legacy.RegisterAminoMsg(cdc, &MsgPostModelBond{}, "aichain/compute/MsgPostModelBond")
	legacy.RegisterAminoMsg(cdc, &MsgWithdrawModelBond{}, "aichain/compute/MsgWithdrawModelBond")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "aichain/compute/MsgUpdateParams")
}

// RegisterInterfaces registers the module's Msgs with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRegisterProvider{}, &MsgUpdateProvider{}, &MsgUnbondProvider{},
		&MsgCreateJob{}, &MsgCancelJob{}, &MsgCommitBid{}, &MsgRevealBid{},
		&MsgSubmitResult{}, &MsgDisputeResult{}, &MsgRevealSampleSecret{}, &MsgAbortJob{}, &MsgRegisterBeaconKey{}, &MsgUpdateParams{},
		&MsgPostModelBond{}, &MsgWithdrawModelBond{}, &MsgSetVerifierEndpoint{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
